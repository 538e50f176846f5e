"""The kiosk's screens: welcome, question, thank-you, apology, idle prompt, PIN, organiser."""
