class Message:
    """An e-mail waiting to be sent."""

    def __init__(self, subject, body, recipients=None):
        self.subject = subject
        self.body = body
        self.recipients = list(recipients) if recipients else []

    def add_recipient(self, address):
        if address not in self.recipients:
            self.recipients.append(address)

    def render(self):
        to = ", ".join(self.recipients)
        return f"To: {to}\nSubject: {self.subject}\n\n{self.body}"
