"""The central collector: receives every kiosk's records and stores each exactly once."""
