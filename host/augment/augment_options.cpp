#include "digitnet/augment/augment_options.hpp"

#include <cmath>
#include <string>

#include "digitnet/errors.hpp"

namespace digitnet {

namespace {

void require_non_negative(double value, const char* name) {
    if (!std::isfinite(value) || value < 0)
        throw InputError(std::string("augmentation: ") + name + " must be a finite number >= 0, not " +
                         std::to_string(value));
}

}  // namespace

void validate_augment_options(const AugmentOptions& options) {
    require_non_negative(options.shift, "shift");
    require_non_negative(options.rotation, "rotation");
    require_non_negative(options.scale, "scale");
    require_non_negative(options.shear, "shear");
    require_non_negative(options.elastic_alpha, "elastic alpha");
    require_non_negative(options.elastic_sigma, "elastic sigma");
    require_non_negative(options.stroke, "stroke");
    require_non_negative(options.strength, "strength");
    if (options.scale * options.strength >= 1)
        throw InputError("augmentation: scale times strength must be under 1 (a digit cannot shrink to nothing), not " +
                         std::to_string(options.scale * options.strength));
    if (options.elastic_alpha * options.strength > 0 && !(options.elastic_sigma > 0))
        throw InputError("augmentation: elastic sigma must be positive when elastic alpha is not 0");
    // The dilation reads each pixel's nearest neighbours only: a half-side of 1 at most (dilate_square).
    if (options.stroke * options.strength > 2)
        throw InputError("augmentation: stroke times strength must be at most 2 pixels, not " +
                         std::to_string(options.stroke * options.strength));
    // Beyond these the digit leaves any image: a typo, not a strength.
    if (options.shift * options.strength > 1000 || options.elastic_alpha * options.strength > 1e5 ||
        options.elastic_sigma > 1000)
        throw InputError("augmentation: strength too large (shift, elastic alpha or sigma beyond any image)");
}

}  // namespace digitnet
