#!/usr/bin/env python3
"""A real browser on the page of `digitnet serve`: headless Chromium (Debian's chromium and
chromium-driver, driven by python3-selenium) draws digits with synthetic mouse strokes, checks
what the page reads, starts a short training run, checks that the cost curve and the accuracy
update, and saves a screenshot. Exits 77 (ctest: skipped) with the reason when no browser can run.
Usage: test_browser.py path/to/digitnet SCREENSHOT.png"""
import math
import os
import shutil
import sys
import time

from serve_process import ServeProcess

SKIP = 77


def skip(reason):
    print("SKIPPED: %s (scripts/install_deps.sh installs chromium, chromium-driver and python3-selenium)" % reason)
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
except ImportError as error:
    skip("python3-selenium is not installed (%s)" % error)


def start_browser():
    driver_path = shutil.which("chromedriver")
    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not driver_path or not browser_path:
        skip("no chromium or chromedriver on the PATH")
    options = Options()
    options.binary_location = browser_path
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1900", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    try:
        return webdriver.Chrome(service=Service(driver_path), options=options)
    except WebDriverException as error:
        skip("chromium would not start headless: %s" % str(error).splitlines()[0])


def wait_for(what, condition, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


def draw(driver, canvas, points):
    """One stroke through points given in canvas pixels (0..280), by mouse: press, moves, release."""
    size = canvas.size
    actions = ActionChains(driver, duration=10)
    x0, y0 = points[0]
    # Offsets are from the element's centre (Selenium 4).
    actions.move_to_element_with_offset(canvas, int(x0 - size["width"] / 2), int(y0 - size["height"] / 2))
    actions.click_and_hold()
    for (xa, ya), (xb, yb) in zip(points, points[1:]):
        actions.move_by_offset(int(round(xb - xa)), int(round(yb - ya)))
    actions.release()
    actions.perform()


def prediction_after(driver, previous=None):
    """The digit the page shows once a reading has come back."""
    return wait_for("a prediction", lambda: (lambda t: t if t not in ("?", previous) else None)(
        driver.find_element(By.ID, "prediction").text), timeout=30)


def main():
    binary, screenshot = sys.argv[1], sys.argv[2]
    driver = start_browser()
    server = ServeProcess(binary)
    failures = []

    def check(condition, message):
        if not condition:
            failures.append(message)
            print("FAILED: " + message)

    try:
        driver.get(server.address + "/")
        # No --model: the page's first model is the seed's network, trained as the server starts.
        wait_for("the first model", lambda: "trained here" in driver.find_element(By.ID, "model-line").text)
        canvas = driver.find_element(By.ID, "draw")

        # A one: a straight stroke down, a little right of centre.
        draw(driver, canvas, [(150, 40 + 10 * i) for i in range(21)])
        one = prediction_after(driver)
        check(one == "1", "a vertical stroke read as %r, not 1" % one)
        check(driver.execute_script("return window.digitnet.scores.data.datasets[0].data.length") == 10,
              "the score bars are not drawn")

        # A zero: an ellipse, drawn small and in a corner.
        driver.find_element(By.ID, "clear").click()
        ellipse = [(90 + 38 * math.sin(2 * math.pi * t / 40), 95 - 55 * math.cos(2 * math.pi * t / 40)) for t in range(42)]
        draw(driver, canvas, ellipse)
        zero = prediction_after(driver)
        check(zero == "0", "an ellipse read as %r, not 0" % zero)

        # Look inside: the hidden units, confusion matrix and mistakes are drawn.
        wait_for("the confusion matrix", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#confusion tr")) == 11, 60)
        check(len(driver.find_elements(By.CSS_SELECTOR, "#mistakes canvas")) > 0, "no misclassified digits shown")
        check(driver.execute_script("return document.getElementById('units-view').width") > 100, "hidden units not drawn")

        # Train and watch: a short run of 16 hidden units; the curve and accuracy must move.
        before_accuracy = driver.find_element(By.ID, "test-accuracy").text
        hidden = driver.find_element(By.ID, "hidden")
        hidden.clear()
        hidden.send_keys("16")
        iterations = driver.find_element(By.ID, "iterations")
        iterations.clear()
        iterations.send_keys("300")
        driver.find_element(By.ID, "train").click()
        wait_for("the new run", lambda: driver.find_element(By.ID, "train-iteration").text.endswith("/ 300"), 30)
        points = wait_for("the cost curve", lambda: driver.execute_script(
            "return window.digitnet.cost.data.datasets[0].data.length"), 60)
        wait_for("the run to finish", lambda: driver.find_element(By.ID, "train-state").text == "done", 300)
        time.sleep(1)  # the page's next poll
        final_points = driver.execute_script("return window.digitnet.cost.data.datasets[0].data.length")
        check(final_points == 300, "the cost curve has %d points after 300 iterations" % final_points)
        check(final_points >= points, "the curve did not grow")
        costs = driver.execute_script("return window.digitnet.cost.data.datasets[0].data.map(p => p.y)")
        check(costs[-1] < costs[0], "the cost did not fall: %s -> %s" % (costs[0], costs[-1]))
        accuracy_points = driver.execute_script("return window.digitnet.accuracy.data.datasets[1].data.length")
        check(accuracy_points >= 10, "only %d test-accuracy points" % accuracy_points)
        after_accuracy = driver.find_element(By.ID, "test-accuracy").text
        check(after_accuracy.endswith("%") and after_accuracy != before_accuracy,
              "test accuracy shown %r before and %r after the run" % (before_accuracy, after_accuracy))
        check(float(after_accuracy.rstrip("%")) > 70, "test accuracy %s after 300 iterations" % after_accuracy)
        wait_for("the new model in use", lambda: "400-16-10" in driver.find_element(By.ID, "model-line").text, 30)
        wait_for("the new model's confusion matrix", lambda: driver.find_element(By.ID, "eval-accuracy").text ==
                 driver.find_element(By.ID, "test-accuracy").text, 60)
        check("ms" in driver.find_element(By.ID, "train-ms").text, "no time per iteration shown")

        # The drawing is read again by the new model.
        zero_again = prediction_after(driver, previous=None)
        check(zero_again in "0123456789", "no reading by the new model")

        driver.execute_script("window.scrollTo(0, 0)")
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1400, height + 200)
        time.sleep(0.5)
        os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
        check(driver.save_screenshot(screenshot), "the screenshot was not saved")
        print("screenshot: %s" % os.path.abspath(screenshot))

        # Train, then Stop: the model in use stays; Keep puts the stopped run's model in use.
        check(not driver.find_element(By.ID, "keep").is_enabled(), "Keep offered with no stopped run")
        hidden.clear()
        hidden.send_keys("12")
        iterations.clear()
        iterations.send_keys("100000")
        driver.find_element(By.ID, "train").click()
        wait_for("the long run", lambda: driver.find_element(By.ID, "train-state").text == "running", 30)
        driver.find_element(By.ID, "stop").click()
        wait_for("the stop", lambda: driver.find_element(By.ID, "train-state").text == "stopped", 60)
        wait_for("Keep offered", lambda: driver.find_element(By.ID, "keep").is_enabled(), 10)
        check("400-16-10" in driver.find_element(By.ID, "model-line").text, "Stop replaced the model in use")
        check("unchanged" in driver.find_element(By.ID, "train-message").text, "the page does not say the model stays")
        driver.find_element(By.ID, "keep").click()
        wait_for("the kept model in use", lambda: "400-12-10" in driver.find_element(By.ID, "model-line").text, 30)
        wait_for("Keep no longer offered", lambda: not driver.find_element(By.ID, "keep").is_enabled(), 10)

        log = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        check(not log, "errors in the browser console: %s" % log)
    finally:
        driver.quit()
        code = server.stop()
        check(code == 0, "digitnet serve exited %d after SIGTERM" % code)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("browser test passed")


if __name__ == "__main__":
    main()
