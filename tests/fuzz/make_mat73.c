/* Writes small MATLAB v7.3 (HDF5) files for the fuzz seed corpus: make_corpus.py compiles and runs
 * this, because scipy writes only v5. Usage: make_mat73 DATA.mat WEIGHTS.mat */
#include <matio.h>
#include <stdio.h>

static int write_var(mat_t* mat, const char* name, size_t rows, size_t cols, double* values) {
    size_t dims[2] = {rows, cols};
    matvar_t* var = Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dims, values, MAT_F_DONT_COPY_DATA);
    int bad = !var || Mat_VarWrite(mat, var, MAT_COMPRESSION_NONE) != 0;
    Mat_VarFree(var);
    return bad;
}

int main(int argc, char** argv) {
    if (argc != 3) return 2;
    double X[4 * 3] = {0, 0.5, 1, 0.25, 1, 0, 0.5, 0.75, 0.1, 0.2, 0.3, 0.4}; /* column-major 4 x 3 */
    double y[4] = {1, 2, 1, 2};
    mat_t* data = Mat_CreateVer(argv[1], NULL, MAT_FT_MAT73);
    if (!data || write_var(data, "X", 4, 3, X) || write_var(data, "y", 4, 1, y)) return 1;
    Mat_Close(data);
    double theta1[2 * 4] = {0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8}; /* 2 x 4: 3 inputs -> 2 */
    double theta2[2 * 3] = {0.9, -1.0, 1.1, -1.2, 1.3, -1.4};            /* 2 x 3: 2 -> 2 classes */
    mat_t* weights = Mat_CreateVer(argv[2], NULL, MAT_FT_MAT73);
    if (!weights || write_var(weights, "Theta1", 2, 4, theta1) || write_var(weights, "Theta2", 2, 3, theta2)) return 1;
    Mat_Close(weights);
    return 0;
}
