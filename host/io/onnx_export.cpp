#include "digitnet/io/onnx_export.hpp"

#include "digitnet/errors.hpp"

#if DIGITNET_HAVE_ONNX
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include "digitnet/io/model_metadata.hpp"
#include "digitnet/io/torch_tensors.hpp"
#endif

namespace digitnet {

#if DIGITNET_HAVE_ONNX

namespace {

// The IR version that goes with an operator set: ONNX 1.8 and 1.9 (opsets 13, 14) wrote IR 7,
// 1.10 to 1.12 (opsets 15 to 17) IR 8.
std::int64_t ir_version_for(int opset) { return opset <= 14 ? 7 : 8; }

void add_float_tensor(onnx::GraphProto& graph, const std::string& name, const Tensor& tensor) {
    onnx::TensorProto* initializer = graph.add_initializer();
    initializer->set_name(name);
    initializer->set_data_type(onnx::TensorProto::FLOAT);
    for (std::int64_t size : tensor.shape) initializer->add_dims(size);
    // float_data: the schema's own field for float tensors; the library writes it little-endian.
    for (double v : tensor.values) initializer->add_float_data(static_cast<float>(v));
}

void set_float_matrix_type(onnx::ValueInfoProto& value, const std::string& name, const std::string& doc, int columns) {
    value.set_name(name);
    value.set_doc_string(doc);
    onnx::TypeProto_Tensor* type = value.mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    onnx::TensorShapeProto* shape = type->mutable_shape();
    shape->add_dim()->set_dim_param("batch");
    shape->add_dim()->set_dim_value(columns);
}

onnx::NodeProto* add_node(onnx::GraphProto& graph, const std::string& op, const std::vector<std::string>& inputs,
                          const std::string& output) {
    onnx::NodeProto* node = graph.add_node();
    node->set_op_type(op);
    node->set_name(output);
    for (const std::string& input : inputs) node->add_input(input);
    node->add_output(output);
    return node;
}

void add_int_attribute(onnx::NodeProto& node, const std::string& name, std::int64_t value) {
    onnx::AttributeProto* attribute = node.add_attribute();
    attribute->set_name(name);
    attribute->set_type(onnx::AttributeProto::INT);
    attribute->set_i(value);
}

const char* activation_op(Activation f) {
    switch (f) {
        case Activation::Tanh:
            return "Tanh";
        case Activation::Relu:
            return "Relu";
        case Activation::Sigmoid:
            break;
    }
    return "Sigmoid";
}

}  // namespace

bool onnx_compiled_in() { return true; }

std::string encode_onnx(const ModelFile& model, int opset, const std::string& path) {
    const Layout& layout = model.parameters.layout;
    onnx::ModelProto proto;
    proto.set_ir_version(ir_version_for(opset));
    proto.set_producer_name("digitnet");
#ifdef DIGITNET_VERSION
    proto.set_producer_version(DIGITNET_VERSION);
#endif
    proto.set_doc_string("digitnet " + layout.describe() + " network: X [batch, " + std::to_string(layout.inputs()) +
                         "] -> Y [batch, " + std::to_string(layout.classes()) + "]");
    onnx::OperatorSetIdProto* set = proto.add_opset_import();
    set->set_domain("");
    set->set_version(opset);
    for (const auto& [key, value] : model_metadata(model)) {
        onnx::StringStringEntryProto* entry = proto.add_metadata_props();
        entry->set_key(key);
        entry->set_value(value);
    }

    onnx::GraphProto& graph = *proto.mutable_graph();
    graph.set_name("digitnet");
    set_float_matrix_type(*graph.add_input(), "X", "one example a row, as the training data's inputs", layout.inputs());
    const std::string output_doc = layout.output == Output::Softmax
                                       ? "class probabilities (softmax); class k is label k + digitnet_label_base"
                                       : "per-class sigmoid scores; class k is label k + digitnet_label_base";
    set_float_matrix_type(*graph.add_output(), "Y", output_doc, layout.classes());
    for (const auto& [name, tensor] : torch_state_dict(model.parameters)) add_float_tensor(graph, name, tensor);

    std::string below = "X";
    for (int l = 1; l <= layout.layers(); ++l) {
        const std::string module = std::to_string(2 * (l - 1));
        const std::string z = std::string("z").append(std::to_string(l));
        add_int_attribute(*add_node(graph, "Gemm", {below, module + ".weight", module + ".bias"}, z), "transB", 1);
        if (l < layout.layers()) {
            below = std::string("a").append(std::to_string(l));
            add_node(graph, activation_op(layout.hidden), {z}, below);
        } else if (layout.output == Output::Softmax) {
            add_int_attribute(*add_node(graph, "Softmax", {z}, "Y"), "axis", 1);
        } else {
            add_node(graph, "Sigmoid", {z}, "Y");
        }
    }

    try {
        onnx::checker::check_model(proto);
    } catch (const std::exception& e) {
        throw OutputError(path + ": the ONNX checker refuses the exported graph (" + e.what() +
                          "); nothing was written");
    }
    std::string bytes;
    if (!proto.SerializeToString(&bytes)) throw OutputError(path + ": protobuf cannot serialise the ONNX model");
    return bytes;
}

#else

bool onnx_compiled_in() { return false; }

std::string encode_onnx(const ModelFile&, int, const std::string& path) {
    throw UnavailableError(path +
                           ": this digitnet was built without ONNX (libonnx-dev was not found when it was "
                           "configured); HINT: scripts/install_deps.sh, then configure and build again");
}

#endif

}  // namespace digitnet
