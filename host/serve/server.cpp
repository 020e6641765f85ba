// The HTTP side of `digitnet serve`: the page's files, the JSON API, and the safety rules.
//
// Safety: the server binds 127.0.0.1 unless told otherwise, answers only requests whose Host
// header is one of the machine's own names or addresses (so a web page elsewhere cannot reach it
// through DNS rebinding) and whose Origin, when sent, is the page itself (accepted_hosts.hpp),
// bounds every request body and every wait for a client (connection_pool.hpp), and never takes a
// file name from a request: the data set and the model come from the command line alone.
#include "digitnet/serve/server.hpp"

#include <httplib.h>
#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "accepted_hosts.hpp"
#include "connection_pool.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "digitnet/io/image_input.hpp"
#include "digitnet/io/mat_io.hpp"
#include "digitnet/io/model_file.hpp"
#include "digitnet/io/onnx_export.hpp"
#include "digitnet/model/activation.hpp"
#include "digitnet/run/checks.hpp"
#include "model_views.hpp"
#include "training_session.hpp"
#include "web_assets.hpp"

namespace digitnet::serve {

namespace {

using json = nlohmann::json;

constexpr std::size_t kMostBodyBytes = 4u << 20;  // a 2048 x 2048 drawing, one byte a pixel
constexpr int kMostDrawingSide = 2048;
constexpr int kMostMistakesShown = 48;
// Workers for connections: each idle connection holds one for at most kKeepAliveSeconds and a
// client stalled in the middle of a request for at most kReadSeconds a read, so a few dozen such
// sockets still leave workers for everyone else.
constexpr std::size_t kWorkers = 64;
constexpr int kKeepAliveSeconds = 2;
constexpr int kReadSeconds = 5;
constexpr int kWriteSeconds = 10;

void send_json(httplib::Response& response, const json& body, int status = 200) {
    response.status = status;
    response.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& response, int status, const std::string& message) {
    send_json(response, json{{"error", message}}, status);
}

// The body as a JSON object whose fields are all among `known`: a misspelt or unknown setting is
// refused, not silently ignored.
json object_body(const std::string& text, std::initializer_list<const char*> known) {
    json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) throw InputError("the body must be a JSON object");
    for (const auto& item : body.items()) {
        if (std::find_if(known.begin(), known.end(), [&](const char* k) { return item.key() == k; }) != known.end())
            continue;
        std::string list;
        for (const char* k : known) list.append(list.empty() ? "" : ", ").append(k);
        std::string shown = json(item.key()).dump();  // quoted and escaped: one line whatever it holds
        if (shown.size() > 40) shown = shown.substr(0, 36) + "...\"";
        throw InputError(shown + " is not a setting here (the settings: " + list + ")");
    }
    return body;
}

// The page's training settings: read by the run layer's table (training_session.hpp).
TrainingRequest parse_training_request(const std::string& text) { return parse_training_json(text); }

// The body of a stop: empty, or {"keep": true|false}. keep: the stopped run's model is put in use.
bool parse_stop_request(const std::string& text) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return false;
    const json body = object_body(text, {"keep"});
    if (!body.contains("keep")) return false;
    if (!body["keep"].is_boolean()) throw InputError("keep must be true or false");
    return body["keep"].get<bool>();
}

// The drawing: width x height bytes of grey (0 black .. 255 white), row-major.
GrayImage parse_drawing(const httplib::Request& request) {
    const auto side = [&](const char* name) {
        const std::string text = request.get_param_value(name);
        if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
            throw InputError(std::string("?") + name + "= must be a whole number of pixels");
        const int v = std::stoi(text);
        if (v < 1 || v > kMostDrawingSide)
            throw InputError(std::string(name) + " must be 1 to " + std::to_string(kMostDrawingSide));
        return v;
    };
    GrayImage image;
    image.width = side("width");
    image.height = side("height");
    if (request.body.size() != static_cast<std::size_t>(image.width) * image.height)
        throw InputError("the body must hold width x height bytes of grey, one a pixel");
    image.pixels.reserve(request.body.size());
    for (unsigned char byte : request.body) image.pixels.push_back(byte / 255.0);
    return image;
}

// The model in use, swapped whole when a run finishes; with its evaluation, made on first request.
class ModelSlot {
public:
    std::shared_ptr<const ServedModel> get() const {
        std::lock_guard lock(mutex_);
        return model_;
    }
    void set(std::shared_ptr<const ServedModel> model) {
        std::lock_guard lock(mutex_);
        model_ = std::move(model);
        evaluation_.reset();
    }
    std::shared_ptr<const json> evaluation(const DataFile& data) {
        const auto model = get();
        if (!model) return nullptr;
        {
            std::lock_guard lock(mutex_);
            if (evaluation_ && evaluated_ == model) return evaluation_;
        }
        const bool has_test = data.test.has_value();
        auto result = std::make_shared<const json>(
            evaluate(*model, has_test ? *data.test : data.train, has_test ? "test" : "train", kMostMistakesShown));
        std::lock_guard lock(mutex_);
        if (model_ == model) evaluation_ = result, evaluated_ = model;
        return result;
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const ServedModel> model_, evaluated_;
    std::shared_ptr<const json> evaluation_;
};

json snapshot_json(const TrainingSnapshot& s) {
    json accuracy = json::array();
    for (const AccuracyPoint& p : s.accuracy) {
        json point{{"iteration", p.iteration}, {"train", p.train}};
        if (p.test >= 0) point["test"] = p.test;
        accuracy.push_back(point);
    }
    return {{"state", s.state},
            {"message", s.message},
            {"run", s.run},
            {"iteration", s.iteration},
            {"total", s.total},
            {"costs", s.costs},
            {"costs_total", s.costs_total},
            {"accuracy", accuracy},
            {"ms_per_iteration", s.ms_per_iteration},
            {"device", s.device},
            {"units_version", s.units_version},
            {"keepable", s.keepable},
            {"request",
             {{"hidden", s.request.hidden},
              {"activation", to_string(s.request.activation)},
              {"output", to_string(s.request.output)},
              {"optimizer", to_string(s.request.optimizer)},
              {"iterations", s.request.iterations},
              {"alpha", s.request.alpha},
              {"lr", s.request.learning_rate},
              {"lambda", s.request.lambda}}}};
}

// The model as the bytes of a .mat file: written to a folder of the server's own, read back.
std::string model_file_bytes(const ServedModel& model) {
    namespace fs = std::filesystem;
    std::string pattern = (fs::temp_directory_path() / "digitnet-serve-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot make a temporary folder for the model file");
    const fs::path folder = pattern, path = folder / "model.mat";
    std::string bytes;
    try {
        save_weights(path.string(), model.parameters, "", &model.info);
        std::FILE* file = std::fopen(path.c_str(), "rb");
        if (!file) throw std::runtime_error("cannot read back the model file");
        char buffer[65536];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) bytes.append(buffer, n);
        std::fclose(file);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(folder, ec);
        throw;
    }
    std::error_code ec;
    fs::remove_all(folder, ec);
    return bytes;
}

}  // namespace

void run_server(const ServeOptions& options, const std::atomic<bool>& stop,
                const std::function<void(const std::string& address)>& on_listening) {
    const DataFile data = load_data(options.data);
    ModelSlot slot;
    if (!options.model.empty()) {
        auto model = std::make_shared<ServedModel>();
        // Through the run layer: the model's fit and label convention against the data (its
        // evaluation on data of the other convention would be meaningless).
        ModelFile file = run::read_model(options.model, "--model");
        run::check_model_meets_data(file, options.model, data.train);
        model->parameters = std::move(file.parameters);
        model->info = file.info;
        const Layout& layout = model->parameters.layout;
        if (model->info.image.rows == 0) throw InputError(options.model + ": the model's inputs are not an image");
        model->description = options.model + " (" + layout.describe() + ")";
        slot.set(model);
    }
    if (data.train.image.rows == 0) throw InputError(options.data + ": the examples are not images, nothing to draw");
    TrainingSession session(data, options.device, options.precision,
                            [&slot](std::shared_ptr<const ServedModel> model) { slot.set(std::move(model)); });

    int port = options.port;  // the port bound, once it is known
    httplib::Server server;
    server.new_task_queue = [&port] { return new ConnectionPool(kWorkers, port); };
    server.set_payload_max_length(kMostBodyBytes);
    server.set_keep_alive_timeout(kKeepAliveSeconds);
    server.set_read_timeout(std::chrono::seconds(kReadSeconds));
    server.set_write_timeout(std::chrono::seconds(kWriteSeconds));
    server.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                                {"X-Frame-Options", "DENY"},
                                {"Cache-Control", "no-store"},
                                {"Content-Security-Policy",
                                 "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                                 "frame-ancestors 'none'"}});

    std::optional<AcceptedHosts> hosts;  // made once the port is known, before the first request
    server.set_pre_routing_handler([&](const httplib::Request& request, httplib::Response& response) {
        const std::string host = request.get_header_value("Host");
        if (!hosts->accepts_host(host)) {
            send_error(
                response, 403,
                "this server answers only to its own names, as " + hosts->example() + " (Host header not accepted)");
            return httplib::Server::HandlerResponse::Handled;
        }
        // Requests from the page itself only: a page elsewhere may make a browser send some.
        if (!hosts->accepts_origin(request.get_header_value("Origin"), host)) {
            send_error(response, 403, "cross-origin requests are refused");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
        try {
            std::rethrow_exception(error);
        } catch (const InputError& e) {
            send_error(response, 400, e.what());
        } catch (const std::exception& e) {
            send_error(response, 500, e.what());
        } catch (...) {
            send_error(response, 500, "unknown error");
        }
    });
    server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
        if (response.body.empty())
            send_error(response, response.status,
                       response.status == 413 ? "the request body is too large" : "not found");
    });

    for (const WebAsset& asset : web_assets())
        server.Get(std::string(asset.path), [&asset](const httplib::Request&, httplib::Response& response) {
            response.set_content(asset.body.data(), asset.body.size(),
                                 (std::string(asset.content_type) + "; charset=utf-8").c_str());
        });

    server.Get("/api/info", [&](const httplib::Request&, httplib::Response& response) {
        const auto model = slot.get();
        json out{{"data", options.data},
                 {"train_examples", data.train.examples()},
                 {"test_examples", data.test ? data.test->examples() : 0},
                 {"rows", data.train.image.rows},
                 {"cols", data.train.image.cols},
                 {"device", to_string(options.device)},
                 {"activations", activation_names()},
                 {"outputs", output_names()},
                 {"optimizers", {"gd", "cg", "adam"}},
                 {"model", nullptr}};
        if (model)
            out["model"] = {{"description", model->description}, {"layout", model->parameters.layout.describe()}};
        send_json(response, out);
    });
    server.Post("/api/predict", [&](const httplib::Request& request, httplib::Response& response) {
        if (request.get_header_value("Content-Type") != "application/octet-stream")
            return send_error(response, 415, "send the drawing as application/octet-stream");
        const GrayImage drawing = parse_drawing(request);
        const auto model = slot.get();
        if (!model) return send_error(response, 409, "no model yet: the first training run has not finished");
        try {
            send_json(response, read_drawing(*model, drawing));
        } catch (const NoDigitFound& e) {
            send_error(response, 422, e.what());
        }
    });
    server.Get("/api/units", [&](const httplib::Request&, httplib::Response& response) {
        const auto model = slot.get();
        if (!model) return send_error(response, 404, "no model yet");
        send_json(response, first_layer_units(model->parameters, model->info.image));
    });
    server.Get("/api/evaluation", [&](const httplib::Request&, httplib::Response& response) {
        const auto evaluation = slot.evaluation(data);
        if (!evaluation) return send_error(response, 404, "no model yet");
        send_json(response, *evaluation);
    });
    server.Get("/api/model.mat", [&](const httplib::Request&, httplib::Response& response) {
        const auto model = slot.get();
        if (!model) return send_error(response, 404, "no model yet");
        response.set_header("Content-Disposition", "attachment; filename=\"digitnet-model.mat\"");
        response.set_content(model_file_bytes(*model), "application/octet-stream");
    });
    server.Get("/api/model.onnx", [&](const httplib::Request&, httplib::Response& response) {
        const auto model = slot.get();
        if (!model) return send_error(response, 404, "no model yet");
        if (!onnx_compiled_in()) return send_error(response, 501, "this digitnet was built without ONNX");
        response.set_header("Content-Disposition", "attachment; filename=\"digitnet-model.onnx\"");
        response.set_content(encode_onnx({model->parameters, model->info}, kOnnxOpsetMax, "digitnet-model.onnx"),
                             "application/octet-stream");
    });
    server.Post("/api/train", [&](const httplib::Request& request, httplib::Response& response) {
        if (request.get_header_value("Content-Type") != "application/json")
            return send_error(response, 415, "send the training settings as application/json");
        const TrainingRequest settings = parse_training_request(request.body);
        if (!session.start(settings)) return send_error(response, 409, "a training run is in progress; stop it first");
        send_json(response, json{{"started", true}, {"run", session.snapshot(0).run}}, 202);
    });
    // A stopped run's model is put in use only when the user keeps it: here ({"keep": true}), or
    // afterwards with /api/train/keep. Stopping alone never replaces the model in use.
    server.Post("/api/train/stop", [&](const httplib::Request& request, httplib::Response& response) {
        const bool keep = parse_stop_request(request.body);
        const bool was_running = session.running();
        session.stop(keep);
        send_json(response, json{{"stopping", was_running}, {"keep", keep}});
    });
    server.Post("/api/train/keep", [&](const httplib::Request&, httplib::Response& response) {
        if (!session.keep()) return send_error(response, 409, "no stopped run's model is waiting to be kept");
        send_json(response, json{{"kept", true}});
    });
    server.Get("/api/train/status", [&](const httplib::Request& request, httplib::Response& response) {
        const std::string since = request.get_param_value("since");
        int from = 0;
        if (!since.empty()) {
            if (since.size() > 9 || since.find_first_not_of("0123456789") != std::string::npos)
                return send_error(response, 400, "since must be a whole number");
            from = std::stoi(since);
        }
        send_json(response, snapshot_json(session.snapshot(from)));
    });
    server.Get("/api/train/units", [&](const httplib::Request&, httplib::Response& response) {
        const auto units = session.latest_units();
        if (!units) return send_error(response, 404, "no training run yet");
        json out = first_layer_units(*units, data.train.image);
        out["version"] = session.snapshot(0).units_version;
        send_json(response, out);
    });

    if (port == 0) {
        port = server.bind_to_any_port(options.host);
        if (port < 0) throw InputError(options.host + ": cannot listen on this address");
    } else if (!server.bind_to_port(options.host, port)) {
        throw InputError(options.host + ":" + std::to_string(port) +
                         ": cannot listen (in use, or not an address of this machine)");
    }
    hosts.emplace(options.host, port);
    if (options.model.empty()) session.start(TrainingRequest{});  // the seed's network, so the page has one

    std::atomic<bool> finished{false};
    std::thread watcher([&] {
        while (!stop && !finished) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        server.stop();
    });
    const std::string shown_host =
        options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
    on_listening("http://" + shown_host + ":" + std::to_string(port) + "/");
    server.listen_after_bind();
    finished = true;
    watcher.join();
}

}  // namespace digitnet::serve
