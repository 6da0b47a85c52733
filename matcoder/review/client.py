"""A small Label Studio REST client: only the calls the review loop makes. Every
failure becomes one ``ReviewError`` that says what to do; the token never appears in
a message."""
from __future__ import annotations

import json
from typing import Any, Iterator, Sequence

import requests

from matcoder.review.server import ReviewError, Settings

PAGE = 500


class LabelStudio:
    def __init__(self, settings: Settings, timeout: float = 60.0):
        self.url = settings.url
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {settings.token}"

    def _call(self, method: str, path: str, **kwargs) -> Any:
        try:
            r = self.session.request(method, f"{self.url}{path}", timeout=self.timeout, **kwargs)
        except requests.ConnectionError:
            raise ReviewError(f"Label Studio is not reachable at {self.url}: start it with "
                              "`matcoder review serve` (or check MATCODER_LS_URL)") from None
        except requests.Timeout:
            raise ReviewError(f"Label Studio at {self.url} did not answer within {self.timeout:.0f} s") from None
        if r.status_code in (401, 403):
            raise ReviewError(f"Label Studio at {self.url} refused the API token (HTTP {r.status_code}): "
                              "check MATCODER_LS_TOKEN or the data directory's .env")
        if r.status_code >= 400:
            detail = r.text[:300].replace("\n", " ")
            raise ReviewError(f"Label Studio {method} {path} failed (HTTP {r.status_code}): {detail}")
        return r.json() if r.content else None

    def whoami(self) -> dict:
        return self._call("GET", "/api/current-user/whoami")

    def version(self) -> str:
        return self._call("GET", "/api/version").get("release", "?")

    def project(self, project_id: int) -> dict | None:
        try:
            return self._call("GET", f"/api/projects/{project_id}")
        except ReviewError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise

    def find_project(self, title: str) -> dict | None:
        data = self._call("GET", "/api/projects", params={"title": title, "page_size": 100})
        results = data.get("results", data) if isinstance(data, dict) else data
        return next((p for p in results if p.get("title") == title), None)

    def create_project(self, title: str, label_config: str, description: str, model_version: str | None) -> dict:
        body = {"title": title, "label_config": label_config, "description": description,
                "show_skip_button": True, "maximum_annotations": 10,
                "sampling": "Uncertainty sampling"}
        if model_version:
            body["model_version"] = model_version
        return self._call("POST", "/api/projects", json=body)

    def update_project(self, project_id: int, **fields) -> dict:
        return self._call("PATCH", f"/api/projects/{project_id}", json=fields)

    def import_tasks(self, project_id: int, tasks: Sequence[dict]) -> list[int]:
        """Create tasks (with their predictions); returns the new task ids in order."""
        out = self._call("POST", f"/api/projects/{project_id}/import", params={"return_task_ids": "true"},
                         json=list(tasks))
        ids = out.get("task_ids") or []
        if len(ids) != len(tasks):
            raise ReviewError(f"Label Studio created {len(ids)} tasks for {len(tasks)} sent")
        return ids

    def import_predictions(self, project_id: int, predictions: Sequence[dict]) -> None:
        self._call("POST", f"/api/projects/{project_id}/import/predictions", json=list(predictions))

    def tasks(self, project_id: int, updated_after: str | None = None, fields: str = "all") -> Iterator[dict]:
        """Every task of a project (optionally only those updated after a server time),
        with data, annotations and predictions."""
        query = None
        if updated_after:
            query = json.dumps({"filters": {"conjunction": "and", "items": [
                {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime",
                 "value": updated_after}]}})
        page = 1
        while True:
            params = {"project": project_id, "page": page, "page_size": PAGE, "fields": fields}
            if query:
                params["query"] = query
            try:
                data = self._call("GET", "/api/tasks", params=params)
            except ReviewError as exc:
                if "HTTP 404" in str(exc) and page > 1:  # past the last page
                    return
                raise
            batch = data.get("tasks", [])
            yield from batch
            if len(batch) < PAGE:
                return
            page += 1

    def users(self) -> dict[int, str]:
        """User id -> e-mail (the reviewer identity written to the warehouse)."""
        data = self._call("GET", "/api/users")
        return {u["id"]: u["email"] for u in data}

    def invite_url(self) -> str:
        return f"{self.url}{self._call('GET', '/api/invite')['invite_url']}"
