"""Staff log-in throttling (django-axes, chatsite/logins.py): the tenth wrong password in a
row is refused, and so is the right one after it, until the lock-out has passed."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login") + "?next=/staff/"
PASSWORD = "the-right-password-7"
LOCKOUT = timedelta(minutes=15)


@pytest.fixture
def anna():
    return get_user_model().objects.create_user("anna", password=PASSWORD, is_staff=True)


def log_in(client: Client, password: str, *, username: str = "anna", address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def refused(response) -> bool:
    """Asked again: the log-in form, with Django's "enter a correct user name" error."""
    return response.status_code == 200 and "Please enter the correct username" in (
        response.content.decode()
    )


LOCKED = "Log-ins are locked after 10 wrong passwords in a row"


def locked_out(response) -> bool:
    return response.status_code == 429 and LOCKED in response.content.decode()


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/staff/"


def test_the_tenth_wrong_password_in_a_minute_is_refused_then_the_right_one_too(client, anna):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(9):
            assert refused(log_in(client, "guess"))
            clock.shift(timedelta(seconds=6))
        tenth = log_in(client, "guess")
        assert locked_out(tenth)
        assert tenth["Retry-After"] == "900"
        assert "Try again in 15 minutes" in tenth.content.decode()
        # The right password at that point is refused all the same.
        assert locked_out(log_in(client, PASSWORD))
        clock.shift(LOCKOUT - timedelta(seconds=1))
        assert locked_out(log_in(client, PASSWORD))
        # Once the lock-out has passed since the last try, the right password works.
        clock.shift(LOCKOUT + timedelta(seconds=1))
        assert logged_in(log_in(client, PASSWORD))


def test_a_wrong_try_during_the_lock_out_starts_the_wait_again(client, anna):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(10):
            log_in(client, "guess")
        clock.shift(LOCKOUT - timedelta(minutes=1))
        assert locked_out(log_in(client, "still guessing"))
        clock.shift(timedelta(minutes=2))  # past the first lock-out, within the second
        assert locked_out(log_in(client, PASSWORD))
        clock.shift(LOCKOUT + timedelta(seconds=1))
        assert logged_in(log_in(client, PASSWORD))


def test_a_user_name_is_locked_from_every_address_and_an_address_for_every_user_name(anna):
    get_user_model().objects.create_user("ben", password=PASSWORD, is_staff=True)
    client = Client()
    for n in range(10):
        log_in(client, "guess", address=f"198.51.100.{n}")
    assert locked_out(log_in(client, PASSWORD, address="192.0.2.1"))
    # Another user name from another address is not touched.
    assert logged_in(log_in(Client(), PASSWORD, username="ben", address="192.0.2.2"))
    # Many user names tried from one address lock that address.
    other = Client()
    for n in range(10):
        log_in(other, "guess", username=f"user{n}", address="192.0.2.99")
    assert locked_out(log_in(other, PASSWORD, username="ben", address="192.0.2.99"))


def test_a_successful_log_in_forgets_the_failures(anna):
    client = Client()
    for _ in range(9):
        log_in(client, "guess")
    assert logged_in(log_in(client, PASSWORD))
    client.logout()
    for _ in range(9):
        assert refused(log_in(client, "guess"))
    assert logged_in(log_in(client, PASSWORD))


def test_failures_are_kept_for_admin_and_deleting_them_lifts_the_lock_out(client, anna):
    for _ in range(10):
        log_in(client, "guess")
    attempt = AccessAttempt.objects.get(username="anna")
    assert attempt.failures_since_start == 10
    attempt.delete()  # what an administrator does in admin (Axes → Access attempts)
    assert logged_in(log_in(client, PASSWORD))


def test_logging_in_from_code_without_a_request_still_works(client, anna):
    """The test client's login() (and a shell's authenticate()) pass no request: there is
    nobody to throttle, and Django checks the password as ever."""
    assert client.login(username="anna", password=PASSWORD)
    assert not Client().login(username="anna", password="wrong")
    client.force_login(anna)
    assert client.get(reverse("admin:index")).status_code == 200
