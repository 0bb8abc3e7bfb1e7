from django import forms
from django.utils.translation import gettext_lazy as _

from core.services import SIGNUP_NAME_MAX_LENGTH


class SignupForm(forms.Form):
    username = forms.CharField(
        label=_("A name to sign in with"),
        max_length=SIGNUP_NAME_MAX_LENGTH,
        help_text=_(
            "It need not be your name. Letters, digits and @ . + - _ only. We add a dash and "
            "4 characters to it to make your username, and show it to you on the next page."
        ),
        # Not "username": a password manager would save what was typed, not the username made.
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        help_text=_("At least 12 characters. A few unrelated words make a strong one."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )


class ReceiptLoginForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"),
        max_length=64,
        help_text=_("The 28 characters you were given when you filed, with or without dashes."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The 6 digits your authenticator app shows now, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autofocus": True}
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        help_text=_("After adding Recourse to the app, type the 6 digits it shows."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
