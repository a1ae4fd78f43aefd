/// crowbar's version, shown by `crowbard --version` and `crowbar --version` and given to the Debian package
/// (iso/build-package.sh). Raised with each release.
public enum CrowbarVersion {
    public static let current = "0.19.0"
}
