"""Telling the person who must act next: in-app notifications after each step, preservation
warnings from `flask notify deadlines`, and e-mail when an SMTP server is configured."""
