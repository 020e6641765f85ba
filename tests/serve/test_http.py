#!/usr/bin/env python3
"""HTTP tests against a running `digitnet serve` on a free loopback port: status codes, JSON
shapes, bad requests answered 4xx, oversized bodies refused, the Host and Origin checks, one
training run at a time. Usage: test_http.py path/to/digitnet"""
import http.client
import json
import socket
import subprocess
import sys
import unittest

from serve_process import ServeProcess

BINARY = None


def stroke_drawing(width=200, height=160):
    """A vertical bar, dark on white: a '1' someone drew off-centre."""
    pixels = bytearray([255]) * (width * height)
    for y in range(30, 130):
        for x in range(140, 152):
            pixels[y * width + x] = 0
    return bytes(pixels), width, height


class ServeHttp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ServeProcess(BINARY)
        cls.server.wait_for_training()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError("digitnet serve exited %d after SIGTERM, not 0" % code)

    def request(self, method, path, body=None, headers=None, host=None):
        connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
        all_headers = {"Host": host or "%s:%d" % (self.server.host, self.server.port)}
        all_headers.update(headers or {})
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, response.getheader("Content-Type") or "", data

    def json_request(self, method, path, body=None, headers=None, host=None):
        status, kind, data = self.request(method, path, body, headers, host)
        self.assertIn("application/json", kind, data[:200])
        return status, json.loads(data)

    def test_page_and_its_files_are_served_from_the_program(self):
        status, kind, data = self.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertIn("text/html", kind)
        self.assertIn(b'<script src="/chart.min.js">', data)
        for path, what in (("/app.js", "javascript"), ("/style.css", "css"), ("/chart.min.js", "javascript")):
            status, kind, data = self.request("GET", path)
            self.assertEqual(status, 200, path)
            self.assertIn(what, kind)
            self.assertGreater(len(data), 500)
        status, _, data = self.request("GET", "/chart.min.js")
        self.assertIn(b"Chart", data[:2000])

    def test_no_file_can_be_named_by_the_client(self):
        for path in ("/../../etc/passwd", "/etc/passwd", "/data/digits20.mat", "/api/model.mat/../../x"):
            status, _, _ = self.request("GET", path)
            self.assertIn(status, (400, 404), path)

    def test_host_header_must_name_this_server(self):
        status, body = self.json_request("GET", "/api/info", host="evil.example:%d" % self.server.port)
        self.assertEqual(status, 403)
        self.assertIn("Host", body["error"])
        status, _ = self.json_request("GET", "/api/info", host="localhost:%d" % self.server.port)
        self.assertEqual(status, 200)
        status, _ = self.json_request("GET", "/api/info", host="127.0.0.1:1")
        self.assertEqual(status, 403)

    def test_cross_origin_writes_are_refused(self):
        status, _ = self.json_request("POST", "/api/train/stop", headers={"Origin": "http://evil.example"})
        self.assertEqual(status, 403)
        status, _ = self.json_request("POST", "/api/train/stop", headers={"Origin": self.server.address})
        self.assertEqual(status, 200)
        # The Origin must be the page at the request's own Host: another accepted name, another
        # scheme or port, or a sandboxed page's "null" is not.
        own = "%s:%d" % (self.server.host, self.server.port)
        for origin in ("http://localhost:%d" % self.server.port, "https://" + own, "http://%s:1" % self.server.host,
                       "null", "http://" + own + ".evil.example"):
            status, body = self.json_request("POST", "/api/train/stop", headers={"Origin": origin})
            self.assertEqual(status, 403, origin)
            self.assertIn("cross-origin", body["error"])
        status, _ = self.json_request("POST", "/api/train/stop", headers={"Origin": "http://localhost:%d" % self.server.port},
                                      host="localhost:%d" % self.server.port)
        self.assertEqual(status, 200)

    def test_info_says_what_is_loaded(self):
        status, info = self.json_request("GET", "/api/info")
        self.assertEqual(status, 200)
        self.assertEqual((info["rows"], info["cols"]), (20, 20))
        self.assertEqual(info["train_examples"], 5000)
        self.assertEqual(info["test_examples"], 5000)
        self.assertEqual(info["activations"], ["sigmoid", "tanh", "relu"])
        self.assertEqual(info["outputs"], ["sigmoid", "softmax"])
        self.assertIn("400-25-10", info["model"]["layout"])

    def test_a_drawing_is_read(self):
        pixels, width, height = stroke_drawing()
        status, reading = self.json_request("POST", "/api/predict?width=%d&height=%d" % (width, height), pixels,
                                            {"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, reading)
        self.assertEqual(reading["digit"], 1)
        self.assertEqual(len(reading["scores"]), 10)
        self.assertEqual(len(reading["input"]), 400)
        self.assertEqual(len(reading["hidden"]), 25)
        self.assertEqual(max(reading["input"]), 1.0)
        self.assertIn("independent", reading["scores_are"])

    def test_a_blank_drawing_is_refused(self):
        status, body = self.json_request("POST", "/api/predict?width=50&height=50", bytes([255]) * 2500,
                                         {"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 422)
        self.assertIn("no digit found", body["error"])

    def test_bad_drawings_are_answered_4xx(self):
        octets = {"Content-Type": "application/octet-stream"}
        cases = [("/api/predict?width=10&height=10", bytes(99), octets, 400),
                 ("/api/predict?width=10", bytes(100), octets, 400),
                 ("/api/predict?width=-3&height=10", bytes(100), octets, 400),
                 ("/api/predict?width=99999&height=1", bytes(100), octets, 400),
                 ("/api/predict?width=10&height=10", bytes(100), {"Content-Type": "text/plain"}, 415)]
        for path, body, headers, expected in cases:
            status, answer = self.json_request("POST", path, body, headers)
            self.assertEqual(status, expected, (path, answer))
            self.assertIn("error", answer)

    def test_oversized_bodies_are_refused(self):
        status, _, _ = self.request("POST", "/api/predict?width=2048&height=2048", bytes(5 << 20),
                                    {"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 413)

    def test_bad_training_settings_are_answered_400(self):
        json_type = {"Content-Type": "application/json"}
        for body in (b"{not json", b"[1, 2]", b'{"hidden": 0}', b'{"hidden": 2.5}', b'{"optimizer": "sgd"}',
                     b'{"alpha": -1}', b'{"lambda": "one"}', b'{"iterations": 1e12}', b'{"activation": "swish"}', b'{"output": "softplus"}',
                     b'{"activation": 3}', b'{"optimizer": "gd", "lr": 0.1}', b'{"optimizer": "adam", "alpha": 0.5}'):
            status, answer = self.json_request("POST", "/api/train", body, json_type)
            self.assertEqual(status, 400, body)
            self.assertIn("error", answer)
        status, _ = self.json_request("POST", "/api/train", b'{"hidden": 5}', {"Content-Type": "text/plain"})
        self.assertEqual(status, 415)
        status, _ = self.json_request("GET", "/api/train/status?since=abc")
        self.assertEqual(status, 400)

    def test_a_setting_of_the_wrong_type_is_400_naming_it(self):
        # Each answers 400 with one line naming the field, never 500 with a JSON library's message.
        json_type = {"Content-Type": "application/json"}
        for body, field in ((b'{"hidden": "x"}', "hidden"), (b'{"epochs": "ten"}', "epochs"),
                            (b'{"epochs": 10}', "epochs"), (b'{"optimizer": 3}', "optimizer"),
                            (b'{"optimizer": null}', "optimizer"), (b'{"activation": ["relu"]}', "activation"),
                            (b'{"output": {"a": 1}}', "output"), (b'{"lambda": [1]}', "lambda"),
                            (b'{"alpha": true}', "alpha"), (b'{"iterations": {"n": 5}}', "iterations"),
                            (b'{"lr": "0.01"}', "lr"), (b'{"hidden": 25, "hiden\\n2": 3}', "hiden")):
            status, answer = self.json_request("POST", "/api/train", body, json_type)
            self.assertEqual(status, 400, (body, answer))
            self.assertIn(field, answer["error"], body)
            self.assertNotIn("\n", answer["error"], body)
            self.assertNotIn("json.exception", answer["error"], body)
        for body, field in ((b'{"keep": "yes"}', "keep"), (b'{"keep": 1}', "keep"), (b'{"kep": true}', "kep"),
                            (b'[true]', "JSON object")):
            status, answer = self.json_request("POST", "/api/train/stop", body, json_type)
            self.assertEqual(status, 400, (body, answer))
            self.assertIn(field, answer["error"], body)

    def test_evaluation_and_units_of_the_model(self):
        status, evaluation = self.json_request("GET", "/api/evaluation")
        self.assertEqual(status, 200)
        self.assertEqual(evaluation["set"], "test")
        self.assertEqual(len(evaluation["confusion"]), 10)
        self.assertEqual(sum(map(sum, evaluation["confusion"])), 5000)
        self.assertGreater(evaluation["accuracy"], 0.85)
        self.assertTrue(evaluation["mistakes"])
        for mistake in evaluation["mistakes"]:
            self.assertNotEqual(mistake["digit"], mistake["predicted"])
            self.assertEqual(len(mistake["input"]), 400)
        status, units = self.json_request("GET", "/api/units")
        self.assertEqual(status, 200)
        self.assertEqual(len(units["units"]), 25)
        self.assertEqual(len(units["units"][0]), 400)

    def test_model_downloads_as_a_mat_file(self):
        status, kind, data = self.request("GET", "/api/model.mat")
        self.assertEqual(status, 200)
        self.assertTrue(data.startswith(b"MATLAB 5.0 MAT-file"), data[:40])

    def test_y_relu_softmax_network_reads_probabilities(self):
        json_type = {"Content-Type": "application/json"}
        body = b'{"hidden": 20, "activation": "relu", "output": "softmax", "optimizer": "adam", "epochs": 3, "lr": 0.01}'
        status, started = self.json_request("POST", "/api/train", body, json_type)
        self.assertEqual(status, 202, started)
        final = self.server.wait_for_training()
        self.assertEqual(final["state"], "done", final["message"])
        self.assertEqual(final["request"]["activation"], "relu")
        self.assertEqual(final["request"]["output"], "softmax")
        self.assertGreater(final["accuracy"][-1]["test"], 0.8)
        pixels, width, height = stroke_drawing()
        status, reading = self.json_request("POST", "/api/predict?width=%d&height=%d" % (width, height), pixels,
                                            {"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, reading)
        self.assertTrue(reading["probabilities"])
        self.assertAlmostEqual(sum(reading["scores"]), 1.0, places=9)
        self.assertEqual(reading["activation"], "relu")
        self.assertGreaterEqual(min(reading["hidden"]), 0.0)

    def test_z_one_training_run_at_a_time_and_stop(self):
        json_type = {"Content-Type": "application/json"}
        status, before = self.json_request("GET", "/api/evaluation")
        self.assertEqual(status, 200)
        _, info = self.json_request("GET", "/api/info")
        layout_before = info["model"]["layout"]
        status, started = self.json_request("POST", "/api/train", b'{"hidden": 8, "iterations": 100000}', json_type)
        self.assertEqual(status, 202, started)
        status, busy = self.json_request("POST", "/api/train", b'{"hidden": 8}', json_type)
        self.assertEqual(status, 409)
        self.assertIn("in progress", busy["error"])
        status, _ = self.json_request("POST", "/api/train/stop", b"")
        self.assertEqual(status, 200)
        final = self.server.wait_for_training(timeout=120)
        self.assertEqual(final["state"], "stopped")
        self.assertLess(final["iteration"], 100000)
        self.assertEqual(final["run"], started["run"])
        # Stop alone never replaces the model in use: the same layout, the same accuracy.
        self.assertTrue(final["keepable"])
        self.assertIn("unchanged", final["message"])
        _, info = self.json_request("GET", "/api/info")
        self.assertEqual(info["model"]["layout"], layout_before)
        _, after = self.json_request("GET", "/api/evaluation")
        self.assertEqual(after["accuracy"], before["accuracy"])
        self.assertEqual(after["confusion"], before["confusion"])
        # Keep puts the stopped run's model in use, once.
        status, kept = self.json_request("POST", "/api/train/keep", b"")
        self.assertEqual(status, 200, kept)
        _, info = self.json_request("GET", "/api/info")
        self.assertIn("400-8-10", info["model"]["layout"])
        _, status_now = self.json_request("GET", "/api/train/status")
        self.assertFalse(status_now["keepable"])
        status, again = self.json_request("POST", "/api/train/keep", b"")
        self.assertEqual(status, 409, again)
        # Stop with {"keep": true} keeps the run's model as it stops.
        status, started = self.json_request("POST", "/api/train", b'{"hidden": 9, "iterations": 100000}', json_type)
        self.assertEqual(status, 202, started)
        status, answer = self.json_request("POST", "/api/train/stop", b'{"keep": true}', json_type)
        self.assertEqual((status, answer["keep"]), (200, True))
        final = self.server.wait_for_training(timeout=120)
        self.assertEqual(final["state"], "stopped")
        self.assertFalse(final["keepable"])
        _, info = self.json_request("GET", "/api/info")
        self.assertIn("400-9-10", info["model"]["layout"])


class ServeCommandLine(unittest.TestCase):
    def run_serve(self, *arguments):
        return subprocess.run([BINARY, "serve", *arguments], capture_output=True, text=True, timeout=120)

    def test_a_missing_model_is_one_line_and_exit_2(self):
        result = self.run_serve("--port", "0", "--model", "/nonexistent/model.mat")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("/nonexistent/model.mat", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_a_port_in_use_is_refused(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            result = self.run_serve("--port", str(taken.getsockname()[1]))
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("cannot listen", result.stderr)


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
