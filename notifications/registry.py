"""The notification registry, in the spirit of les-emplois: every kind of notification is a class
registered with ``@registry.register``, with a category, whether its recipients may turn it off
(``can_be_disabled``), and ``should_send()`` deciding from the recipient's preferences.

No view or job decides with its own ``if`` whether a mail goes: it builds a notification and asks it.
"""
from __future__ import annotations

import enum
from typing import Any, ClassVar, Iterator, Mapping

# What a user may choose for each kind (mails only: the in-app list always shows the event).
IMMEDIATE = "immediat"
DIGEST = "quotidien"
NONE = "aucun"
MODES: dict[str, str] = {IMMEDIATE: "Immédiat", DIGEST: "Résumé quotidien", NONE: "Aucun courriel"}


class Category(enum.Enum):
    PROPOSALS = "Candidatures"
    INTERVIEWS = "Entretiens"
    REMINDERS = "Relances"
    FOLLOWUP = "Suivi après l'embauche"
    CLAUSES = "Clauses sociales"
    ACCOUNT = "Compte"
    OPERATIONS = "Exploitation"


class Notification:
    """One kind of notification; an instance is one event for one recipient.

    Subclasses set ``kind`` (stable identifier, stored), ``label`` (French, on the preferences page),
    ``category``, ``roles`` (who may receive it), ``template`` (``templates/mail/<template>.txt`` and
    ``.html``) and build their one-line ``title`` from the event's context.
    """

    kind: ClassVar[str]
    label: ClassVar[str]
    category: ClassVar[Category]
    roles: ClassVar[frozenset[str]]
    template: ClassVar[str] = ""
    can_be_disabled: ClassVar[bool] = True
    default_mode: ClassVar[str] = IMMEDIATE
    in_app: ClassVar[bool] = True       # listed in the recipient's notifications
    by_mail: ClassVar[bool] = True      # some kinds are for the in-app list only
    secret: ClassVar[bool] = False      # the mail carries a personal link: its content is erased once sent

    def __init__(self, recipient: Mapping[str, Any], context: Mapping[str, Any], *, link: str,
                 object_type: str | None = None, object_id: Any = None) -> None:
        if recipient.get("role") not in self.roles:
            raise ValueError(f"{self.kind} is not for a {recipient.get('role')} account")
        self.recipient = recipient
        self.context = dict(context)
        self.link = link
        self.object_type = object_type
        self.object_id = object_id

    @classmethod
    def title(cls, context: Mapping[str, Any]) -> str:
        raise NotImplementedError

    @classmethod
    def subject(cls, context: Mapping[str, Any]) -> str:
        return cls.title(context)

    @classmethod
    def attachments(cls, context: Mapping[str, Any]) -> list[tuple[str, str, bytes]]:
        """Files joined to the mail: (filename, MIME type, content)."""
        return []

    def mode(self, settings: Mapping[str, str]) -> str:
        """How this recipient gets the mail: their choice for this kind, else the kind's default;
        always immediately for the kinds nobody may turn off."""
        if not self.by_mail:
            return NONE
        if not self.can_be_disabled:
            return IMMEDIATE
        chosen = settings.get(self.kind)
        return chosen if chosen in MODES else self.default_mode

    def should_send(self, settings: Mapping[str, str]) -> bool:
        return self.mode(settings) != NONE


class NotificationRegistry:
    def __init__(self) -> None:
        self._kinds: dict[str, type[Notification]] = {}

    def register(self, cls: type[Notification]) -> type[Notification]:
        for attribute in ("kind", "label", "category", "roles"):
            if not hasattr(cls, attribute):
                raise TypeError(f"{cls.__name__} must define {attribute}")
        if cls.by_mail and not cls.template:
            raise TypeError(f"{cls.__name__} sends mails: it needs a template")
        if cls.default_mode not in MODES or (not cls.can_be_disabled and cls.default_mode != IMMEDIATE):
            raise TypeError(f"{cls.__name__}: a kind nobody may turn off is sent immediately")
        if cls.kind in self._kinds and self._kinds[cls.kind] is not cls:
            raise ValueError(f"notification kind {cls.kind!r} registered twice")
        self._kinds[cls.kind] = cls
        return cls

    def get(self, kind: str) -> type[Notification]:
        return self._kinds[kind]

    def __contains__(self, kind: str) -> bool:
        return kind in self._kinds

    def __iter__(self) -> Iterator[type[Notification]]:
        return iter(self._kinds.values())

    def choosable_for(self, role: str) -> list[type[Notification]]:
        """The kinds a user of this role receives by mail and may set (the preferences page), by category."""
        kinds = [k for k in self if role in k.roles and k.by_mail]
        order = list(Category)
        return sorted(kinds, key=lambda k: (order.index(k.category), k.label))


registry = NotificationRegistry()
