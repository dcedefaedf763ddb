#!/usr/bin/env python3
# Copyright 2026 Workflow Monitor
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

"""Take screenshots of Odoo pages in headless Chromium, logged in as a user.

Usage: screenshot.py --url http://127.0.0.1:8069 --db DB --login admin --password admin \
           --width 1440 --height 900 PATH=OUTPUT.png [PATH=OUTPUT.png ...]

Drives Chromium through the DevTools protocol (websocket-client), no other dependency.
Each PATH (e.g. /odoo/workflow-monitor) is loaded, given time to settle, and captured.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests
import websocket


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Chrome:
    def __init__(self, width, height):
        binary = (
            shutil.which("chromium")
            or shutil.which("chromium-browser")
            or shutil.which("google-chrome")
        )
        if not binary:
            sys.exit("Chromium not found: apt-get install chromium")
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="wm-shot-")
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={self.port}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(100):
            try:
                targets = requests.get(f"http://127.0.0.1:{self.port}/json", timeout=1).json()
                page = next(t for t in targets if t["type"] == "page")
                break
            except Exception:  # noqa: BLE001 - Chromium still starting
                time.sleep(0.1)
        else:
            sys.exit("Chromium did not start")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.seq = 0
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method, **params):
        self.seq += 1
        self.ws.send(json.dumps({"id": self.seq, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.seq:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        return result.get("result", {}).get("value")

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--wait", type=float, default=4.0)
    parser.add_argument(
        "--click",
        action="append",
        default=[],
        help="PATH=SELECTOR: click SELECTOR after loading PATH",
    )
    parser.add_argument(
        "--eval",
        action="append",
        default=[],
        help="PATH=JS: evaluate the JavaScript expression JS after loading PATH (e.g. to "
        "choose an option of a <select> and dispatch its change event)",
    )
    parser.add_argument("shots", nargs="+")
    args = parser.parse_args()

    session = requests.Session()
    response = session.post(
        f"{args.url}/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "params": {"db": args.db, "login": args.login, "password": args.password},
        },
        timeout=30,
    )
    response.raise_for_status()
    if response.json().get("error"):
        sys.exit(f"login failed: {response.json()['error']}")
    session_id = session.cookies["session_id"]
    clicks = dict(item.split("=", 1) for item in args.click)
    scripts = dict(item.split("=", 1) for item in args.eval)

    chrome = Chrome(args.width, args.height)
    try:
        host = args.url.split("//", 1)[1].split(":")[0]
        chrome.call("Network.enable")
        chrome.call("Network.setCookie", name="session_id", value=session_id, domain=host, path="/")
        for shot in args.shots:
            path, output = shot.split("=", 1)
            chrome.call("Page.enable")
            chrome.call("Page.navigate", url=args.url + path)
            time.sleep(args.wait)
            if path in scripts:
                chrome.evaluate(scripts[path])
                time.sleep(args.wait / 2)
            if path in clicks:
                chrome.evaluate(f"document.querySelector({json.dumps(clicks[path])}).click()")
                time.sleep(args.wait / 2)
            # close transient notifications (e.g. "page is out of date" after an update)
            chrome.evaluate(
                "document.querySelectorAll('.o_notification_close').forEach(b => b.click())"
            )
            time.sleep(0.5)
            data = chrome.call("Page.captureScreenshot", format="png")["data"]
            os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
            with open(output, "wb") as handle:
                handle.write(base64.b64decode(data))
            print(output)
    finally:
        chrome.close()


if __name__ == "__main__":
    main()
