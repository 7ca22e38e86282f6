from app.notify import broadcast, welcome


def test_welcome_has_single_recipient():
    first = welcome("ada@example.com", "Ada")
    second = welcome("bob@example.com", "Bob")
    assert first.recipients == ["ada@example.com"]
    assert second.recipients == ["bob@example.com"]


def test_broadcast_copies_addresses():
    addresses = ["a@example.com", "b@example.com"]
    msg = broadcast("News", "Hello", addresses)
    msg.add_recipient("c@example.com")
    assert addresses == ["a@example.com", "b@example.com"]


def test_render():
    msg = welcome("cy@example.com", "Cy")
    assert msg.render().startswith("To: cy@example.com\nSubject: Welcome!")
