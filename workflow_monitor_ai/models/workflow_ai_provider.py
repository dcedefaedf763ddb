# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

import json
import logging
import time
from typing import NamedTuple
from urllib.parse import urlparse

import requests

from odoo import _, api, models
from odoo.tools import SQL

from ..tools.masking import mask_text

_logger = logging.getLogger(__name__)

PARAM = "workflow_monitor_ai.%s"
DEFAULTS = {
    "confidence_threshold": 0.85,
    "min_examples": 50,
    "min_per_class": 10,
    "max_training_samples": 20000,
    "kill_switch": False,
    "provider_enabled": False,
    "provider_url": "",
    "provider_model": "",
    "provider_timeout": 20.0,
    "anomaly_z": 3.5,
    "anomaly_min_history": 4,
    "anomaly_weeks": 8,
    "burst_window_hours": 2.0,
    "burst_min_count": 5,
    "similar_min_score": 0.3,
}
SUMMARY_SYSTEM_PROMPT = (
    "You help an operations team. Summarise the problem below in at most 4 short "
    "sentences: what happened, since when, what it affects, what to check first. "
    "Placeholders like [PARTNER_1] stand for masked personal data: keep them as they are. "
    "Do not invent facts."
)


class ChatRequest(NamedTuple):
    """One chat completion request, ready to send."""

    payload: dict
    headers: dict
    masked_count: int  # personal data items replaced in the user text


class ChatReply(NamedTuple):
    """What came back from one chat completion request."""

    status: str  # ok / timeout / error (the statuses of workflow.ai.log)
    answer: str | None
    http_status: int
    message: str  # what went wrong, empty when ok
    response: str | None  # the body as received (truncated), None without an answer
    duration_ms: int


class WorkflowAiProvider(models.AbstractModel):
    """Settings of the AI features, and the optional OpenAI-compatible provider.

    The provider is off by default and used for summaries only. Before anything is sent,
    emails, phone numbers, IBANs, addresses and the names of known partners are masked;
    every prompt and answer is logged in ``workflow.ai.log``; calls have a timeout and a
    kill switch stops them all (and every automatic change) at once.
    """

    _name = "workflow.ai.provider"
    _description = "Workflow AI Provider"

    @api.model
    def _ai_settings(self):
        # sudo: settings are read by the engine for every caller; only the API key is
        # secret and it is read in _chat only
        params = self.env["ir.config_parameter"].sudo()
        settings = {}
        for key, default in DEFAULTS.items():
            raw = params.get_param(PARAM % key)
            if raw in (None, False, ""):
                settings[key] = default
            elif isinstance(default, bool):
                settings[key] = raw.lower() in ("1", "true", "yes", "on")
            elif isinstance(default, int):
                settings[key] = int(float(raw))
            elif isinstance(default, float):
                settings[key] = float(raw)
            else:
                settings[key] = raw
        return settings

    @api.model
    def _provider_available(self):
        """(available, reason) of the outside provider."""
        settings = self._ai_settings()
        if settings["kill_switch"]:
            return False, _("the AI kill switch is on")
        if not settings["provider_enabled"]:
            return False, _("the AI provider is disabled")
        if not settings["provider_url"] or not settings["provider_model"]:
            return False, _("the provider URL or model is not set")
        return True, ""

    @api.model
    def _endpoint(self, url):
        parsed = urlparse(url or "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(_("The provider URL must start with http:// or https://."))
        url = url.rstrip("/")
        return url if url.endswith("/chat/completions") else url + "/chat/completions"

    # ------------------------------------------------------------
    # MASKING
    # ------------------------------------------------------------

    @api.model
    def _mask(self, text):
        """Mask personal data of ``text``; partner names and streets are those of
        res.partner found in the text (one query each). Returns (masked, count)."""
        if not text:
            return text or "", 0
        cr = self.env.cr
        self.env["res.partner"].flush_model(["name", "street", "street2"])
        # sudo-free raw read: only names that already appear in the text are fetched,
        # and they are used to remove them from it, never shown
        cr.execute(
            SQL(
                """SELECT DISTINCT name FROM res_partner
                    WHERE name IS NOT NULL AND length(name) >= 3
                      AND strpos(lower(%s), lower(name)) > 0
                    LIMIT 500""",
                text,
            )
        )
        names = [row[0] for row in cr.fetchall()]
        cr.execute(
            SQL(
                """SELECT DISTINCT s FROM res_partner, unnest(ARRAY[street, street2]) AS s
                    WHERE s IS NOT NULL AND length(s) >= 5
                      AND strpos(lower(%s), lower(s)) > 0
                    LIMIT 500""",
                text,
            )
        )
        streets = [row[0] for row in cr.fetchall()]
        masked, placeholders = mask_text(text, names, streets)
        return masked, len(placeholders)

    # ------------------------------------------------------------
    # CALLS
    # ------------------------------------------------------------

    @api.model
    def _summarize(self, text, exception=None):
        """Summary of ``text`` by the provider, or None (disabled, killed, failed)."""
        return self._chat(SUMMARY_SYSTEM_PROMPT, text, purpose="summary", exception=exception)

    @api.model
    def _chat(self, system_prompt, user_text, purpose="summary", exception=None):
        """Send one masked chat completion request and return the answer text, or None.
        Never raises for provider problems: they are logged (status error/timeout)."""
        settings = self._ai_settings()
        log_vals = {
            "exception_id": exception.id if exception else False,
            "company_id": exception.company_id.id if exception else self.env.company.id,
            "model_name": settings["provider_model"],
        }
        endpoint = self._chat_endpoint(settings, purpose, log_vals)
        if not endpoint:
            return None
        request = self._chat_request(settings, system_prompt, user_text)
        log_vals.update(
            provider_url=endpoint,
            prompt=json.dumps(request.payload, ensure_ascii=False, indent=1),
            masked_count=request.masked_count,
        )
        reply = self._chat_send(endpoint, request, settings["provider_timeout"])
        if reply.status != "ok":
            _logger.warning("AI provider %s: %s", endpoint, reply.message)
        if reply.response is not None:
            log_vals["response"] = reply.response
        self.env["workflow.ai.log"]._log(
            "provider",
            _("%(purpose)s via %(model)s", purpose=purpose, model=settings["provider_model"]),
            status=reply.status,
            message=reply.message or False,
            http_status=reply.http_status,
            duration_ms=reply.duration_ms,
            **log_vals,
        )
        return reply.answer if reply.status == "ok" else None

    @api.model
    def _chat_endpoint(self, settings, purpose, log_vals):
        """The chat completions URL, or None when nothing may be sent: provider off or
        not configured (silent), kill switch on or a bad URL (logged)."""
        available, reason = self._provider_available()
        if not available:
            if settings["kill_switch"] and settings["provider_enabled"]:
                self.env["workflow.ai.log"]._log(
                    "provider",
                    _("%(purpose)s: not sent", purpose=purpose),
                    status="blocked",
                    message=_("Not sent: %(reason)s.", reason=reason),
                    **log_vals,
                )
            return None
        try:
            return self._endpoint(settings["provider_url"])
        except ValueError as error:
            self.env["workflow.ai.log"]._log(
                "provider", purpose, status="error", message=str(error), **log_vals
            )
            return None

    @api.model
    def _chat_request(self, settings, system_prompt, user_text):
        """The ChatRequest of one completion: the user text masked, the API key in the
        header."""
        masked, count = self._mask(user_text)
        payload = {
            "model": settings["provider_model"],
            "messages": [
                {"role": "system", "content": system_prompt},
                {"role": "user", "content": masked},
            ],
            "temperature": 0.2,
        }
        # sudo: the API key is admin-only; it goes in the header and nowhere else
        key = self.env["ir.config_parameter"].sudo().get_param(PARAM % "provider_api_key")
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return ChatRequest(payload, headers, count)

    @api.model
    def _chat_send(self, endpoint, request, timeout):
        """POST ``request`` and return the ChatReply: the answer, or the status and
        message of what went wrong (timeout, HTTP error, malformed answer)."""
        start = time.perf_counter()
        status, answer, http_status, message, response_text = "ok", None, 0, "", None
        try:
            response = requests.post(
                endpoint, json=request.payload, headers=request.headers, timeout=timeout
            )
            http_status = response.status_code
            response_text = response.text[:100000]
            response.raise_for_status()
            answer = response.json()["choices"][0]["message"]["content"]
            if not isinstance(answer, str) or not answer.strip():
                raise ValueError("empty answer")
            answer = answer.strip()
        except requests.Timeout:
            status = "timeout"
            message = _(
                "No answer within %(seconds)s s (setting: provider timeout).", seconds=timeout
            )
        except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as error:
            status = "error"
            message = _("The provider call failed: %(error)s", error=error)
        return ChatReply(
            status=status,
            answer=answer if status == "ok" else None,
            http_status=http_status,
            message=message,
            response=response_text,
            duration_ms=int((time.perf_counter() - start) * 1000),
        )
