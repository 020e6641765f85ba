#pragma once
// What the page shows of a model, as JSON: its reading of one drawing (scores, the input it saw,
// the hidden units' activations), its first layer's weights as images, and how it does on a data
// set (accuracy, confusion matrix, the digits it gets wrong).
#include <nlohmann/json.hpp>

#include "digitnet/io/png_image.hpp"
#include "training_session.hpp"

namespace digitnet::serve {

// The digit class k stands for (the ex4 convention: label 10 is the digit 0).
int digit_of_class(int k, const ModelInfo& info, int classes);

// {digit, label, scores[K], digits[K], scores_are, input: rows x cols row-major 0..1 (ink 1),
//  hidden: the first hidden layer's activations}. Throws NoDigitFound for a blank drawing.
nlohmann::json read_drawing(const ServedModel& model, const GrayImage& drawing);

// {rows, cols, units: [s1 lists of rows*cols weights, row-major]}: Theta1 without its bias column.
nlohmann::json first_layer_units(const Parameters& parameters, const ImageShape& shape);

// {set, examples, accuracy, digits[K], confusion[K][K] (rows: true class), mistakes: up to
//  `most_mistakes` of {index, digit, predicted, input}} for the examples of `set`.
nlohmann::json evaluate(const ServedModel& model, const Dataset& set, const std::string& set_name, int most_mistakes);

}  // namespace digitnet::serve
