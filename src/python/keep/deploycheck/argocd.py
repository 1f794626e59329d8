"""Expand Keep's ApplicationSet (list generators, Go templates limited to `{{.key}}` and
`{{ toJson .key }}`) into the Applications Argo CD would create, to check them offline."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import yaml

_EXPR = re.compile(r"\{\{-?\s*(?P<fn>toJson\s+)?\.(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}")


class TemplateError(ValueError):
    pass


def _subst(text: str, element: dict[str, Any]) -> str:
    def repl(m: re.Match[str]) -> str:
        key = m.group("key")
        if key not in element:  # goTemplateOptions: missingkey=error
            raise TemplateError(f"template uses .{key}, missing from generator element {element}")
        value = element[key]
        if m.group("fn"):
            return json.dumps(value)
        if isinstance(value, dict | list):
            raise TemplateError(f".{key} is not a scalar; use toJson")
        return str(value).lower() if isinstance(value, bool) else str(value)

    out = _EXPR.sub(repl, text)
    if "{{" in out:
        raise TemplateError(f"unsupported template expression in {text!r}")
    return out


def _render(node: Any, element: dict[str, Any]) -> Any:
    if isinstance(node, str):
        return _subst(node, element)
    if isinstance(node, list):
        return [_render(n, element) for n in node]
    if isinstance(node, dict):
        return {_subst(k, element): _render(v, element) for k, v in node.items()}
    return node


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = _merge(base.get(k), v) if k in base else v
        return out
    return copy.deepcopy(patch)


def expand_applicationset(appset: dict[str, Any]) -> list[dict[str, Any]]:
    spec = appset["spec"]
    if not spec.get("goTemplate"):
        raise TemplateError("only goTemplate: true ApplicationSets are supported")
    apps = []
    for generator in spec["generators"]:
        if set(generator) != {"list"}:
            raise TemplateError(f"only list generators are supported, got {sorted(generator)}")
        for element in generator["list"]["elements"]:
            tmpl = _render(copy.deepcopy(spec["template"]), element)
            app = {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {
                    **tmpl["metadata"],
                    "namespace": appset["metadata"].get("namespace", "argocd"),
                },
                "spec": tmpl["spec"],
            }
            if spec.get("templatePatch"):
                app = _merge(app, yaml.safe_load(_subst(spec["templatePatch"], element)))
            apps.append(app)
    return apps
