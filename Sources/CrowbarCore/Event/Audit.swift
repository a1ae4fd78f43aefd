/// Who is acting, for the history: the API sets it for each request (the token's name, and the person the client
/// names), and every event stored while it is set records it.
public enum Audit {
    @TaskLocal public static var actor: String?
}
