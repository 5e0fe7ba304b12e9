"""Pure rules shared by server and client: numbers, segments, keywords, merge tags, status order."""
