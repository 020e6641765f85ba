#include "option_parsing.hpp"

#include <charconv>
#include <limits>

#include "digitnet/model/activation.hpp"

namespace digitnet::cli {

std::uint64_t parse_seed(const std::string& text) {
    std::uint64_t value = 0;
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!digits || error != std::errc() || end != text.data() + text.size())
        throw CLI::ValidationError(
            "--seed", "must be a whole number from 0 to 18446744073709551615 (2^64 - 1), got '" + text + "'");
    return value;
}

std::vector<int> parse_hidden(const std::vector<std::string>& words) {
    std::vector<int> sizes;
    for (const std::string& word : words) {
        std::size_t start = 0;
        for (;;) {
            const std::size_t comma = word.find(',', start);
            const std::string piece =
                word.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            int value = 0;
            const auto [end, error] = std::from_chars(piece.data(), piece.data() + piece.size(), value);
            if (piece.empty() || error != std::errc() || end != piece.data() + piece.size() || value < 1)
                throw CLI::ValidationError(
                    "--hidden", "each hidden layer is a whole number of units >= 1, separated by commas; '" + word +
                                    "' has " + (piece.empty() ? "an empty entry" : "'" + piece + "'"));
            sizes.push_back(value);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    return sizes;
}

void add_seed_option(CLI::App* command, std::uint64_t& seed, const std::string& description) {
    command
        ->add_option_function<std::string>(
            "--seed", [&seed](const std::string& text) { seed = parse_seed(text); }, description)
        ->option_text("N (0..2^64-1, default " + std::to_string(seed) + ")");
}

void add_hidden_option(CLI::App* command, std::vector<int>& hidden, bool& given) {
    command
        ->add_option_function<std::vector<std::string>>(
            "--hidden",
            [&hidden, &given](const std::vector<std::string>& words) {
                hidden = parse_hidden(words);
                given = true;
            },
            "Hidden layer sizes, comma-separated (default 25)")
        ->option_text("N[,N...] (default 25)");
}

void add_network_options(CLI::App* command, run::NetworkRequest& network) {
    add_hidden_option(command, network.hidden, network.hidden_given);
    command
        ->add_option_function<std::string>(
            "--activation",
            [&network](const std::string& name) { network.activation = parse_activation(name, "--activation"); },
            "Hidden layers' activation: sigmoid (the seed's, default), tanh or relu")
        ->check(CLI::IsMember(activation_names()));
    command
        ->add_option_function<std::string>(
            "--output", [&network](const std::string& name) { network.output = parse_output(name, "--output"); },
            "Output layer and loss: sigmoid (per-class cross-entropy, the seed's, default) or softmax "
            "(multinomial cross-entropy)")
        ->check(CLI::IsMember(output_names()));
}

void add_path_option(CLI::App* command, const std::string& name, std::optional<std::string>& path,
                     const std::string& description) {
    command->add_option_function<std::string>(
        name, [&path](const std::string& text) { path = text; }, description);
}

std::vector<run::Setting> given_settings(const CLI::App* command) {
    std::vector<run::Setting> given;
    for (const run::SettingSpelling& s : run::settings_table())
        if (!s.optimizers.empty() && command->count(s.cli) > 0) given.push_back(s.setting);
    return given;
}

}  // namespace digitnet::cli
