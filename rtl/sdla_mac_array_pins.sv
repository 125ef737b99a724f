// sdla_mac_array_pins: sdla_mac_array with packed ports, the top of the
// pin-level SystemC model (verilator --sc).
//
// A SystemC model's ports are scalars or packed vectors (bool, uint32_t,
// uint64_t, sc_bv<N>): an unpacked top-level array port has no sc_in/sc_out
// form. This wrapper only flattens each unpacked port into one packed
// vector, element 0 in the low bits:
//   w_data, a_data, act_reg   byte i           at [8i+7:8i]
//   w_reg                     byte [k][i]      at [8(k*C+i)+7 : 8(k*C+i)]
//   w_zero_reg, mac_issue,    column k         at [C*k+C-1 : C*k]
//   mac_live
//   w_idx_reg                 column k         at [2C*k+2C-1 : 2C*k]
//   psum                      column k         at [PSUM_W*k+PSUM_W-1 : PSUM_W*k]
// No logic beyond wiring: the ports' meaning, timing and reset are those of
// sdla_mac_array (rtl/README.md).
`timescale 1ps / 1ps

module sdla_mac_array_pins #(
    parameter int ATOMIC_C = 8,
    parameter int ATOMIC_K = 8,
    parameter int PSUM_W = 48,
    localparam int KW = (ATOMIC_K > 1) ? $clog2(ATOMIC_K) : 1
) (
    input  logic                             clk,
    input  logic                             rst,
    input  logic                             mode_int16,
    input  logic                             sparse,
    input  logic [             ATOMIC_K-1:0] col_valid,
    input  logic [           2*ATOMIC_C-1:0] lane_valid,
    input  logic                             w_load,
    input  logic [                   KW-1:0] w_col,
    input  logic [           8*ATOMIC_C-1:0] w_data,
    input  logic [             ATOMIC_C-1:0] w_zero,
    input  logic [           2*ATOMIC_C-1:0] w_idx,
    output logic                             meta_err,
    input  logic                             a_valid,
    input  logic [          16*ATOMIC_C-1:0] a_data,
    input  logic [           2*ATOMIC_C-1:0] a_zero,
    output logic                             psum_valid,
    output logic [      PSUM_W*ATOMIC_K-1:0] psum,
    output logic                             err,
    output logic [          16*ATOMIC_C-1:0] act_reg,
    output logic [           2*ATOMIC_C-1:0] act_vld,
    output logic [           2*ATOMIC_C-1:0] act_live,
    output logic [  8*ATOMIC_C*ATOMIC_K-1:0] w_reg,
    output logic [    ATOMIC_C*ATOMIC_K-1:0] w_zero_reg,
    output logic [  2*ATOMIC_C*ATOMIC_K-1:0] w_idx_reg,
    output logic [    ATOMIC_C*ATOMIC_K-1:0] mac_issue,
    output logic [    ATOMIC_C*ATOMIC_K-1:0] mac_live
);
  localparam int C = ATOMIC_C;
  localparam int K = ATOMIC_K;

  logic [7:0] w_data_u[C], a_data_u[2*C], act_reg_u[2*C], w_reg_u[K][C];
  logic signed [PSUM_W-1:0] psum_u[K];
  logic [C-1:0] w_zero_reg_u[K], mac_issue_u[K], mac_live_u[K];
  logic [2*C-1:0] w_idx_reg_u[K];

  for (genvar i = 0; i < C; i++) begin : g_w
    assign w_data_u[i] = w_data[8*i+:8];
  end
  for (genvar i = 0; i < 2 * C; i++) begin : g_a
    assign a_data_u[i] = a_data[8*i+:8];
    assign act_reg[8*i+:8] = act_reg_u[i];
  end
  for (genvar k = 0; k < K; k++) begin : g_col
    assign psum[PSUM_W*k+:PSUM_W] = psum_u[k];
    assign w_zero_reg[C*k+:C] = w_zero_reg_u[k];
    assign mac_issue[C*k+:C] = mac_issue_u[k];
    assign mac_live[C*k+:C] = mac_live_u[k];
    assign w_idx_reg[2*C*k+:2*C] = w_idx_reg_u[k];
    for (genvar i = 0; i < C; i++) begin : g_byte
      assign w_reg[8*(k*C+i)+:8] = w_reg_u[k][i];
    end
  end

  sdla_mac_array #(
      .ATOMIC_C(C),
      .ATOMIC_K(K),
      .PSUM_W  (PSUM_W)
  ) u_array (
      .clk       (clk),
      .rst       (rst),
      .mode_int16(mode_int16),
      .sparse    (sparse),
      .col_valid (col_valid),
      .lane_valid(lane_valid),
      .w_load    (w_load),
      .w_col     (w_col),
      .w_data    (w_data_u),
      .w_zero    (w_zero),
      .w_idx     (w_idx),
      .meta_err  (meta_err),
      .a_valid   (a_valid),
      .a_data    (a_data_u),
      .a_zero    (a_zero),
      .psum_valid(psum_valid),
      .psum      (psum_u),
      .err       (err),
      .act_reg   (act_reg_u),
      .act_vld   (act_vld),
      .act_live  (act_live),
      .w_reg     (w_reg_u),
      .w_zero_reg(w_zero_reg_u),
      .w_idx_reg (w_idx_reg_u),
      .mac_issue (mac_issue_u),
      .mac_live  (mac_live_u)
  );
endmodule
