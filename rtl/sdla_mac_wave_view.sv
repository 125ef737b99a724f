// sdla_mac_wave_view: a readable subset of sdla_mac_array for waveforms.
//
// Instantiated as sdla_mac_array.u_view. It only renames signals: control,
// the first VIEW_LANES activation lanes and the first VIEW_MULTS multipliers
// of the first VIEW_COLS columns, each in its own scope
// (u_view.lane[l].*, u_view.col[c].mult[m].*, u_view.col[c].psum), so a
// VCD traced at depth 1 stays small on the 64x32 array and the GTKWave save
// file written by rtl/rtl_mac_core.cpp can lay it out in groups. Nothing in
// the design reads these signals.
`timescale 1ps / 1ps

/* verilator lint_off UNUSEDSIGNAL */  // wave view: every signal is traced only, never read
module sdla_mac_wave_view #(
    parameter int VIEW_LANES = 8,
    parameter int VIEW_COLS = 4,
    parameter int VIEW_MULTS = 8,
    parameter int KW = 3,
    parameter int PSUM_W = 48
) (
    input logic                                clk,
    input logic                                rst,
    input logic                                mode_int16,
    input logic                                sparse,
    input logic                                w_load,
    input logic [                      KW-1:0] w_col,
    input logic                                meta_err,
    input logic                                err,
    input logic                                a_valid,
    input logic                                psum_valid,
    /*verilator tracing_off*/  // the packed buses below reappear per lane / column / multiplier
    input logic [              VIEW_LANES-1:0] lane_valid_in,  // lane_valid input (first lanes)
    input logic [              VIEW_LANES-1:0] zero_in,        // a_zero input (first lanes)
    input logic [            8*VIEW_LANES-1:0] act_bytes,      // act_reg bytes
    input logic [              VIEW_LANES-1:0] act_vld_bits,
    input logic [              VIEW_LANES-1:0] act_live_bits,
    input logic [               VIEW_COLS-1:0] col_valid_bits,
    input logic [8*VIEW_COLS*VIEW_MULTS-1:0]   w_bytes,        // w_reg bytes, column-major
    input logic [  VIEW_COLS*VIEW_MULTS-1:0]   w_zero_bits,
    input logic [2*VIEW_COLS*VIEW_MULTS-1:0]   idx_bits,
    input logic [  VIEW_COLS*VIEW_MULTS-1:0]   issue_bits,
    input logic [  VIEW_COLS*VIEW_MULTS-1:0]   live_bits,
    input logic [       PSUM_W*VIEW_COLS-1:0]  psum_bits
    /*verilator tracing_on*/
);
  for (genvar l = 0; l < VIEW_LANES; l++) begin : lane
    logic [7:0] act;   // operand register byte l
    logic valid_in;    // lane_valid input
    logic zero_in_l;   // zero line on the input port
    logic vld;         // registered: the captured vector's lane is valid
    logic live;        // registered: ... and its zero line is clear
    assign act = act_bytes[8*l+:8];
    assign valid_in = lane_valid_in[l];
    assign zero_in_l = zero_in[l];
    assign vld = act_vld_bits[l];
    assign live = act_live_bits[l];
  end

  for (genvar c = 0; c < VIEW_COLS; c++) begin : col
    logic valid;
    logic signed [PSUM_W-1:0] psum;
    assign valid = col_valid_bits[c];
    assign psum = psum_bits[PSUM_W*c+:PSUM_W];
    for (genvar m = 0; m < VIEW_MULTS; m++) begin : mult
      localparam int I = c * VIEW_MULTS + m;
      logic [7:0] w;      // weight operand register byte m
      logic w_zero;       // weight zero line
      logic [1:0] idx;    // 2:4 metadata
      logic issue;        // multiplier issued
      logic live;         // issued and both operands live
      assign w = w_bytes[8*I+:8];
      assign w_zero = w_zero_bits[I];
      assign idx = idx_bits[2*I+:2];
      assign issue = issue_bits[I];
      assign live = live_bits[I];
    end
  end
endmodule
/* verilator lint_on UNUSEDSIGNAL */
