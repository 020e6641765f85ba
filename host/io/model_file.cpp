#include "digitnet/io/model_file.hpp"

#include "digitnet/io/mat_io.hpp"

namespace digitnet {

ModelFile read_model_file(const std::string& path) {
    ModelFile model;
    model.parameters = load_weights(path);
    model.info = load_model_info(path, model.parameters.layout.inputs());
    check_model_info(model.info, model.parameters.layout.inputs(), path);
    return model;
}

void write_model_file(const std::string& path, const ModelFile& model) {
    check_model_info(model.info, model.parameters.layout.inputs(), path);
    save_weights(path, model.parameters, "", &model.info);
}

}  // namespace digitnet
