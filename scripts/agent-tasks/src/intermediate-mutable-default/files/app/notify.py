from app.message import Message

OUTBOX = []


def welcome(address, name):
    msg = Message("Welcome!", f"Hi {name}, thanks for signing up.")
    msg.add_recipient(address)
    OUTBOX.append(msg)
    return msg


def broadcast(subject, body, addresses):
    msg = Message(subject, body, list(addresses))
    OUTBOX.append(msg)
    return msg
