enum _PlaceholderCrowbarClient {}
