"""Clients, matters and court dates in the desktop: the Clients and Upcoming views and the rail
that switches between them and the inbox."""
