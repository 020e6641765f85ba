// Runs an exported digitnet .onnx model in onnxruntime (CPU) on examples from a raw float32 file.
// Usage: node run_onnx.js MODEL.onnx INPUTS.f32 COLUMNS OUTPUTS.f32
// Writes the model's output Y (float32, row-major) to OUTPUTS.f32 and prints one JSON line with
// the input and output names and shapes, for tests/formats/test_formats.py.
"use strict";
const fs = require("fs");
const ort = require("onnxruntime-node");

async function main() {
    const [modelPath, inputPath, columnsText, outputPath] = process.argv.slice(2);
    if (!outputPath) throw new Error("usage: node run_onnx.js MODEL.onnx INPUTS.f32 COLUMNS OUTPUTS.f32");
    const columns = Number(columnsText);
    const raw = fs.readFileSync(inputPath);
    const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const rows = values.length / columns;
    const session = await ort.InferenceSession.create(modelPath, { executionProviders: ["cpu"] });
    const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", values, [rows, columns]) };
    const results = await session.run(feeds);
    const output = results[session.outputNames[0]];
    fs.writeFileSync(outputPath, Buffer.from(output.data.buffer, output.data.byteOffset, output.data.byteLength));
    console.log(JSON.stringify({
        inputs: session.inputNames, outputs: session.outputNames, shape: output.dims, type: output.type,
    }));
}

main().catch((error) => {
    console.error("run_onnx.js: " + error.message);
    process.exit(1);
});
