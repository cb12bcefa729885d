#!/usr/bin/python3
"""The web console in a real browser (headless Chromium driven by Selenium, both from
Debian), against gridwatchd watching a real RTSP camera (vtest.mp4 served by
rtsp_server.py on 127.0.0.1).

  check_console.py BIN_DIR FOOTAGE_DIR            the checks `make test` runs
  check_console.py BIN_DIR FOOTAGE_DIR --shots DIR also a PNG of every page, Chinese and
                                                   English, wall (1920×1080) and tablet
                                                   (1280×800) sizes (`make screenshots`)

The checks: an operator logs in and watches the queue; an admin draws a zone in the editor
and saves it (geometry.d/plaza.yml, the main file untouched); the next ticket comes from
that zone and appears in the operator's queue without a reload; the operator acknowledges
and dispatches it; the history names the operator. No password reaches the daemon's log.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORDS = {"op1": "值班-password-1", "admin1": "admin-secret-22", "viewer1": "viewer-secret-3"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CURRENT = []


def fail(message):
    print(f"check_console: FAIL: {message}", file=sys.stderr)
    for d in CURRENT:
        try:
            print(f"--- {d.current_url}\n{d.find_element(By.TAG_NAME, 'main').text[:1500]}", file=sys.stderr)
        except Exception:
            pass
    sys.exit(1)


def wait(driver, condition, message, seconds=10):
    """Until `condition` holds; an element that went stale (the page moved on under the
    check) is asked again, not an error."""
    try:
        return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)).until(condition)
    except TimeoutException:
        fail(message)


def browser(size):
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={size[0]},{size[1]}",
                "--lang=zh-CN", "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars"]:
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    # The page's own size, whatever the browser's frame takes.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False})
    return driver


def login(driver, base, name):
    driver.get(base + "/login")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(PASSWORDS[name])
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    WebDriverWait(driver, 20).until(lambda d: "/login" not in d.current_url)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin")
    parser.add_argument("footage")
    parser.add_argument("--shots", help="write screenshots here")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="gw-console-")
    procs = []

    def stop(*_):
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    try:
        rtsp = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "Tests/Tools/rtsp_server.py"), os.path.join(args.footage, "vtest.mp4"),
                                 "--loop", "--shared", "--path", "/plaza"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(rtsp)
        ready = rtsp.stdout.readline().strip()
        if not ready.startswith("READY "):
            fail("the RTSP server did not start")
        url = ready.split(" ", 1)[1]
        port = free_port()
        config = os.path.join(work, "gridwatch.yml")
        with open(config, "w") as f:
            f.write(f"""daemon:
  data_dir: data
  socket: control.sock
console:
  listen: 127.0.0.1:{port}
grids:
  - id: town
    name: 测试镇
    level: town
  - id: village
    name: 东村
    parent: town
    leader: {{id: wang, name: 王伟}}
    workers:
      - {{id: li, name: 李娜, phone: "13800000002"}}
tickets:
  deadlines:
    intrusion: {{acknowledge: 15m, close: 24h}}
cameras:
  - id: plaza
    name: 广场
    grid: village
    source: {url}
""")
        with open(config, "rb") as f:
            config_hash = hashlib.sha256(f.read()).hexdigest()
        log = open(os.path.join(work, "daemon.log"), "w")
        daemon = subprocess.Popen([os.path.join(args.bin, "gridwatchd"), "run", "--config", config], stderr=log, cwd=work)
        procs.append(daemon)
        ctl = [os.path.join(args.bin, "gridwatchctl"), "--socket", os.path.join(work, "control.sock")]
        deadline = time.time() + 30
        while subprocess.run(ctl + ["health"], capture_output=True).returncode != 0:
            if time.time() > deadline:
                fail("the daemon did not start")
            time.sleep(0.2)
        for name, role in [("op1", "operator"), ("admin1", "admin"), ("viewer1", "viewer")]:
            subprocess.run(ctl[:1] + ["console-user", "add", name, "--role", role] + ctl[1:], input=PASSWORDS[name] + "\n",
                           text=True, check=True, capture_output=True)
        base = f"http://127.0.0.1:{port}"

        operator = browser((1920, 1080))
        admin = browser((1920, 1080))
        CURRENT[:] = [operator, admin]
        try:
            login(operator, base, "op1")
            wait(operator, lambda d: d.execute_script("return document.body.dataset.ready") == "1", "the queue did not load")
            if "工单队列" not in operator.title:
                fail(f"the queue's title reads {operator.title!r}")
            if operator.find_elements(By.CSS_SELECTOR, "tr.ticket"):
                fail("tickets before any zone was drawn")
            operator.execute_script("window.__notReloaded = true")

            # The admin draws a zone over the plaza in the editor.
            login(admin, base, "admin1")
            admin.get(base + "/cameras/plaza/geometry")
            wait(admin, lambda d: d.execute_script("return document.body.dataset.ready") == "1", "the editor did not load", 20)
            canvas = admin.find_element(By.ID, "canvas")
            wait(admin, lambda d: d.execute_script("const i = document.querySelector('img.live-picture'); return i.complete && i.naturalWidth > 0"),
                 "the editor shows no picture", 20)
            admin.find_element(By.ID, "tool-zone").click()
            admin.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
            w, h = canvas.size["width"], canvas.size["height"]
            for x, y in [(0.05, 0.35), (0.95, 0.35), (0.95, 0.98), (0.05, 0.98)]:
                # Offsets from the element's centre (Selenium 4).
                ActionChains(admin).move_to_element_with_offset(canvas, int((x - 0.5) * w), int((y - 0.5) * h)).click().perform()
            ActionChains(admin).send_keys(Keys.ENTER).perform()
            name = admin.find_element(By.CSS_SELECTOR, "#shapes li[data-kind=zone] input.shape-name")
            name.clear()
            name.send_keys("广场南侧")
            admin.find_element(By.ID, "save").click()
            wait(admin, lambda d: d.find_element(By.ID, "editor-status").text == "已保存并生效" or "error" in (d.find_element(By.ID, "editor-status").get_attribute("class") or ""),
                 "the editor did not answer the save", 20)
            status = admin.find_element(By.ID, "editor-status").text
            if status != "已保存并生效":
                fail(f"the editor said {status!r}")
            geometry = os.path.join(work, "geometry.d", "plaza.yml")
            if not os.path.exists(geometry) or "广场南侧" not in open(geometry).read():
                fail("geometry.d/plaza.yml was not written with the zone")
            with open(config, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != config_hash:
                    fail("the main configuration file was rewritten")
            print("check_console: zone drawn and saved to geometry.d/plaza.yml; main file unchanged")

            # The next ticket comes from that zone and shows in the queue without a reload.
            started = time.time()
            wait(operator, lambda d: d.find_elements(By.CSS_SELECTOR, "#queue-rows tr.ticket"), "no ticket in the queue after the zone was drawn", 90)
            if not operator.execute_script("return window.__notReloaded === true"):
                fail("the queue page was reloaded")
            # Read at once: the rows are swapped whenever a ticket changes.
            ticket, text = operator.execute_script("const r = document.querySelector('#queue-rows tr.ticket'); return [r.dataset.id, r.innerText]")
            if "广场南侧" not in text:
                fail(f"the new ticket is not from the drawn zone: {text!r}")
            print(f"check_console: ticket {ticket} appeared in the queue {time.time() - started:.1f} s after saving, without a reload")

            # Acknowledge, then dispatch, from the ticket page.
            operator.get(base + "/tickets/" + ticket)
            wait(operator, lambda d: d.find_elements(By.CSS_SELECTOR, "form.action-acknowledge"), "no acknowledge form on the ticket page")
            operator.find_element(By.CSS_SELECTOR, "form.action-acknowledge input[name=note]").send_keys("收到，马上处理")
            operator.find_element(By.CSS_SELECTOR, "form.action-acknowledge button").click()
            wait(operator, lambda d: d.find_elements(By.ID, "flash"), "no confirmation after acknowledging")
            Select(operator.find_element(By.CSS_SELECTOR, "form.action-dispatch select[name=assignee]")).select_by_value("li")
            operator.find_element(By.CSS_SELECTOR, "form.action-dispatch button").click()
            wait(operator, lambda d: d.find_element(By.ID, "ticket-state").text == "已派单", "the ticket is not dispatched")
            history = operator.find_element(By.ID, "history").text
            if "op1 (console)" not in history:
                fail(f"the history does not name the console user: {history!r}")
            if not operator.execute_script("const i = document.getElementById('ticket-snapshot'); return !!i && i.complete && i.naturalWidth > 0"):
                fail("the ticket's snapshot did not load")
            if not operator.find_elements(By.CSS_SELECTOR, "svg.overlay polygon.zone.hit"):
                fail("the ticket's zone is not drawn on its snapshot")
            print(f"check_console: ticket {ticket} acknowledged and dispatched to 李娜 by op1 (console), as its history says")

            # A hazard: the queue beeps and shows a banner, which the operator can silence.
            operator.get(base + "/")
            wait(operator, lambda d: d.execute_script("return document.body.dataset.ready") == "1", "the queue did not load")
            operator.execute_script("window.__notReloaded = true")
            sock = os.path.join(work, "control.sock")
            shapes = json.loads(subprocess.run(["curl", "-sf", "--unix-socket", sock, "http://localhost/v1/cameras/plaza/geometry"],
                                               capture_output=True, check=True).stdout)
            zone = shapes["zones"][0]
            shapes["zones"].append({"id": "river", "name": "河边", "polygon": zone["polygon"]})
            del shapes["file"]
            subprocess.run(["curl", "-sf", "--unix-socket", sock, "-X", "PUT", "-H", "Content-Type: application/json", "-d", json.dumps(shapes),
                            "http://localhost/v1/cameras/plaza/geometry"], capture_output=True, check=True)
            # The editor does not set a zone's purpose: an admin writes it in the file, as the guide says.
            geometry_text = open(geometry).read().splitlines()
            for i, line in enumerate(geometry_text):
                m = re.match(r"^(\s*)- id: river$", line)
                if m:
                    geometry_text.insert(i + 1, m.group(1) + "  purpose: hazard")
                    break
            else:
                fail("the river zone is not in geometry.d/plaza.yml")
            with open(geometry, "w") as f:
                f.write("\n".join(geometry_text) + "\n")
            subprocess.run(ctl[:1] + ["reload"] + ctl[1:], check=True, capture_output=True)
            wait(operator, lambda d: d.find_elements(By.CSS_SELECTOR, "#queue-rows tr.ticket[data-category=hazard]"), "no hazard ticket in the queue", 90)
            wait(operator, lambda d: d.find_element(By.ID, "alarm").is_displayed(), "no banner for the new hazard")
            if not operator.execute_script("return window.__notReloaded === true"):
                fail("the queue page was reloaded")
            operator.find_element(By.ID, "mute").click()
            if operator.find_element(By.ID, "alarm").is_displayed() or operator.execute_script("return localStorage.getItem('gw-muted')") != "1":
                fail("muting did not silence the cue")
            operator.find_element(By.ID, "mute").click()
            print("check_console: a new hazard ticket raised the blinking banner in the queue without a reload; muting hid it and is remembered")

            if args.shots:
                shots(args.shots, base, ticket)
        finally:
            operator.quit()
            admin.quit()
        logged = open(os.path.join(work, "daemon.log")).read()
        for secret in PASSWORDS.values():
            if secret in logged:
                fail("a console password is in the daemon's log")
        print("check_console: ok (no password in the log)")
    finally:
        stop()
        shutil.rmtree(work, ignore_errors=True)


def shots(folder, base, ticket):
    os.makedirs(folder, exist_ok=True)
    pages = [("queue", "/"), ("ticket", f"/tickets/{ticket}"), ("cameras", "/cameras"), ("camera", "/cameras/plaza"),
             ("editor", "/cameras/plaza/geometry"), ("stats", "/stats?period=week")]
    for size, label in [((1920, 1080), "wall"), ((1280, 800), "tablet")]:
        driver = browser(size)
        try:
            for language in ["zh", "en"]:
                driver.get(base + "/login?lang=" + language)
                driver.save_screenshot(os.path.join(folder, f"{language}-{label}-login.png"))
            login(driver, base, "admin1")
            for language in ["zh", "en"]:
                current = driver.execute_script("return document.documentElement.lang")
                if (language == "en") != (current == "en"):
                    driver.find_element(By.ID, "language-switch").click()
                    WebDriverWait(driver, 10).until(lambda d: (d.execute_script("return document.documentElement.lang") == "en") == (language == "en"))
                for page, path in pages:
                    driver.get(base + path)
                    time.sleep(0.2 if page not in ("cameras", "camera", "editor") else 3.5)  # the pictures load every 3 s
                    driver.save_screenshot(os.path.join(folder, f"{language}-{label}-{page}.png"))
            # Back to Chinese for the next run.
            driver.find_element(By.ID, "language-switch").click()
        finally:
            driver.quit()
    print(f"check_console: screenshots in {folder}")


if __name__ == "__main__":
    main()
