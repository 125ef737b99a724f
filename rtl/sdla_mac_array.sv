// sdla_mac_array: the sparse MAC array of sdla (top of the verilated model).
//
// ATOMIC_K columns; each column has ATOMIC_C int8 multipliers or ATOMIC_C/2
// int16 multipliers (mode_int16) over the same bus bytes, as NVDLA nv_full
// does 2048 int8 or 1024 int16 MACs. The datapath rules are those of
// include/sdla/mac_pass.hpp, implemented in C++ by models/mac_datapath.cpp;
// RTL and model agree bit for bit and on every activity counter
// (tests/rtl/test_rtl_vs_model.cpp).
//
// ------------------------------------------------------------------ interface
// One pass at a time (rtl/rtl_mac_core.cpp drives it):
//  * pass configuration, held for the whole pass: mode_int16, sparse (2:4
//    weights), col_valid (columns of the pass), lane_valid (activation lanes
//    of the pass). It is registered with each vector, so a vector in flight
//    keeps the configuration it entered with.
//  * weight load, one column per cycle: w_load, w_col, the column's byte-bank
//    image w_data, one zero line per weight (w_zero) and in 2:4 mode a 2-bit
//    activation index per weight (w_idx, weight i at [2i+1:2i]).
//  * activation stream, one vector per cycle: a_valid, the byte-bank image
//    of 2*lanes values a_data (2*ATOMIC_C bytes) and one zero line per lane
//    (a_zero).
// Lanes are counted in the current precision: bit l of lane_valid, a_zero,
// w_zero is lane l (int16 uses the low half). Bytes are little-endian: int8
// lane l is byte l, int16 lane l is bytes 2l, 2l+1.
//
// ------------------------------------------------------------- datapath rules
//  * Operand registers are byte banks: act_reg (2*ATOMIC_C bytes on the
//    activation bus, shared by all columns) and w_reg (ATOMIC_C bytes per
//    column). A byte loads only when its lane is valid and its zero line is
//    clear; otherwise it holds (operand isolation: no toggles).
//  * Multiplier i of column k takes activation lane
//        sel = sparse ? 4*(i/2) + idx(k,i) : i
//    It is issued when column k and lane sel are valid; an issued multiplier
//    with either zero line set is gated and adds exactly zero, otherwise it
//    adds w * a. mac_issue / mac_live expose both bits per multiplier
//    (gated = issue & !live), lane i of column k at mac_issue[k][i].
//  * Operand isolation at the multiplier inputs: an activation lane that is
//    not live feeds zero (a_op), and a weight whose zero line is set selects
//    the constant-zero activation input (sel_q = ZeroSel), so a gated
//    product is zero whatever the held registers contain.
//
// ------------------------------------------------------------------- pipeline
//   edge c   : vector captured: act_reg, lane qualifiers, pass configuration;
//              mac_issue / mac_live now describe this vector
//   edge c+1 : prod_q   cell products (two int8 or one int16 product per
//                       byte pair of the weight bank)
//   edge c+2 : grp_q    adder-tree group sums (4 cells per group)
//   edge c+3 : psum     column partial sums, psum_valid
// PSUM_LATENCY = 3 cycles after the capturing edge. A column written at edge
// c is used by a vector captured at edge c+1: weights load straight into the
// operand registers, so a pass costs `columns` load cycles + one per vector.
//
// --------------------------------------------------------------------- errors
// meta_err is combinational on the weight-load port (sdla_meta_check): a
// column with invalid 2:4 metadata is never written, and a refused load sets
// the sticky `err` (cleared by rst).
//
// Partial sums are PSUM_W-bit signed (48 is exact for int16 columns; NVDLA's
// array hands 22/44-bit sums to its accumulator, nvdla/hw spec).
//
// Simulation speed: per-multiplier work sits in procedural loops over
// unpacked arrays (compact code for Verilator) and the issue/live bits are
// formed word-wide per column.
`timescale 1ps / 1ps

module sdla_mac_array #(
    parameter int ATOMIC_C = 8,  // int8 lanes per column (even, >= 2)
    parameter int ATOMIC_K = 8,  // columns
    parameter int PSUM_W = 48,   // partial-sum width (signed)
    localparam int KW = (ATOMIC_K > 1) ? $clog2(ATOMIC_K) : 1
) (
    input  logic                     clk,
    input  logic                     rst,                         // synchronous: all registers to zero
    // pass configuration
    input  logic                     mode_int16,                  // 0: int8, 1: int16
    input  logic                     sparse,                      // 0: dense, 1: 2:4 weights
    input  logic [     ATOMIC_K-1:0] col_valid,
    input  logic [   2*ATOMIC_C-1:0] lane_valid,
    // weight load
    input  logic                     w_load,
    input  logic [           KW-1:0] w_col,
    input  logic [              7:0] w_data     [  ATOMIC_C],
    input  logic [     ATOMIC_C-1:0] w_zero,
    input  logic [   2*ATOMIC_C-1:0] w_idx,
    output logic                     meta_err,
    // activation stream
    input  logic                     a_valid,
    input  logic [              7:0] a_data     [2*ATOMIC_C],
    input  logic [   2*ATOMIC_C-1:0] a_zero,
    // results
    output logic                     psum_valid,
    output logic signed [PSUM_W-1:0] psum       [  ATOMIC_K],
    output logic                     err,
    // operand and control registers (activity taps and waves)
    output logic [              7:0] act_reg    [2*ATOMIC_C],             // activation operands
    output logic [   2*ATOMIC_C-1:0] act_vld,                             // lane valid
    output logic [   2*ATOMIC_C-1:0] act_live,                            // ... and zero line clear
    output logic [              7:0] w_reg      [  ATOMIC_K][ATOMIC_C],  // weight operands
    output logic [     ATOMIC_C-1:0] w_zero_reg [  ATOMIC_K],             // weight zero lines
    output logic [   2*ATOMIC_C-1:0] w_idx_reg  [  ATOMIC_K],             // 2:4 metadata
    output logic [     ATOMIC_C-1:0] mac_issue  [  ATOMIC_K],             // multiplier issued
    output logic [     ATOMIC_C-1:0] mac_live   [  ATOMIC_K]              // issued, both operands live
);
  localparam int C = ATOMIC_C;
  localparam int K = ATOMIC_K;
  localparam int AL = 2 * C;  // activation bus lanes (int8) = bytes
  localparam int Cells = C / 2;  // multiplier cells per column (byte pairs)
  localparam int Groups = (Cells + 3) / 4;  // first adder-tree stage: 4 cells per group
  localparam int SW = $clog2(AL + 1);  // activation select width
  localparam logic [SW-1:0] ZeroSel = SW'(AL);  // select of the constant-zero input

  // -------------------------------------------------------- pass configuration
  logic mode_q, sparse_q;
  logic [K-1:0] colv_q;
  logic [C-1:0] mults_q;  // multipliers that exist in the registered precision
  always_ff @(posedge clk)
    if (rst) begin
      mode_q   <= 1'b0;
      sparse_q <= 1'b0;
      colv_q   <= '0;
      mults_q  <= '0;
    end else begin
      mode_q   <= mode_int16;
      sparse_q <= sparse;
      colv_q   <= col_valid;
      mults_q  <= mode_int16 ? {{(C - Cells) {1'b0}}, {Cells{1'b1}}} : {C{1'b1}};
    end

  // ------------------------------------------------ activation operand registers
  // Byte b belongs to int8 lane b or int16 lane b/2; it loads when its lane
  // carries a value (vector valid, lane valid) and the lane's zero line is
  // clear. Lanes beyond the precision's 2*lanes do not exist.
  for (genvar b = 0; b < AL; b++) begin : g_abyte
    always_ff @(posedge clk)
      if (rst) act_reg[b] <= '0;
      else if (a_valid && (mode_int16 ? lane_valid[b/2] && !a_zero[b/2] : lane_valid[b] && !a_zero[b]))
        act_reg[b] <= a_data[b];
  end

  logic [3:0] v_q;  // vector valid down the pipeline
  always_ff @(posedge clk)
    if (rst) begin
      act_vld  <= '0;
      act_live <= '0;
      v_q      <= '0;
    end else begin
      act_vld  <= {AL{a_valid}} & lane_valid & (mode_int16 ? {{C{1'b0}}, {C{1'b1}}} : {AL{1'b1}});
      act_live <= {AL{a_valid}} & lane_valid & ~a_zero & (mode_int16 ? {{C{1'b0}}, {C{1'b1}}} : {AL{1'b1}});
      v_q      <= {v_q[2:0], a_valid};
    end
  assign psum_valid = v_q[3];

  // Isolated activation operands, sign-extended, one per lane of the
  // registered precision, plus the constant-zero input at ZeroSel.
  logic [31:0] a_op[AL+1];
  for (genvar l = 0; l < AL; l++) begin : g_aop
    if (l < C) begin : g_both
      assign a_op[l] = !act_live[l] ? '0 :
                       mode_q ? {{16{act_reg[2*l+1][7]}}, act_reg[2*l+1], act_reg[2*l]}
                              : {{24{act_reg[l][7]}}, act_reg[l]};
    end else begin : g_int8
      assign a_op[l] = (!act_live[l] || mode_q) ? '0 : {{24{act_reg[l][7]}}, act_reg[l]};
    end
  end
  assign a_op[AL] = '0;

  // 2:4 issue: multiplier i sees lane 4*(i/2) + v when its metadata is v;
  // spread[v] lines those lanes up with the multipliers.
  logic [C-1:0] vld_spread[4], live_spread[4];
  for (genvar v = 0; v < 4; v++) begin : g_spread
    for (genvar i = 0; i < C; i++) begin : g_mult
      assign vld_spread[v][i]  = act_vld[4*(i/2)+v];
      assign live_spread[v][i] = act_live[4*(i/2)+v];
    end
  end

  // ---------------------------------------------------------------- weight load
  sdla_meta_check #(
      .ATOMIC_C(C)
  ) u_meta (
      .mode_int16(mode_int16),
      .sparse    (sparse),
      .w_idx     (w_idx),
      .meta_err  (meta_err)
  );

  /*verilator tracing_off*/  // decoded copies of w_idx_reg / w_zero_reg: not worth a wave
  logic [SW-1:0] sel_q[K][C];  // activation select per multiplier (ZeroSel: weight zero)
  logic [C-1:0] meta_q[K][4];  // one-hot metadata planes: meta_q[k][v][i] = (idx(k,i) == v)
  /*verilator tracing_on*/

  /*verilator tracing_off*/  // loop variables and block temporaries
  always_ff @(posedge clk) begin : p_wload
    logic [C-1:0] exists;  // weights that exist in the load precision
    logic [7:0] row[C];
    logic [SW-1:0] sel_row[C];
    logic [C-1:0] plane[4];
    if (rst) begin
      w_reg      <= '{default: '{default: '0}};
      w_zero_reg <= '{default: '0};
      w_idx_reg  <= '{default: '0};
      sel_q      <= '{default: '{default: ZeroSel}};
      meta_q     <= '{default: '{default: '0}};
    end else if (w_load && !meta_err && 32'(w_col) < K) begin
      exists = mode_int16 ? {{(C - Cells) {1'b0}}, {Cells{1'b1}}} : {C{1'b1}};
      for (int unsigned i = 0; i < C; i++) begin
        // byte i: int8 weight i or int16 weight i/2; loads when that weight's zero line is clear
        row[i] = (mode_int16 ? w_zero[i/2] : w_zero[i]) ? w_reg[w_col][i] : w_data[i];
        sel_row[i] = !exists[i] || w_zero[i] ? ZeroSel
                   : sparse ? SW'(4 * (i / 2)) + SW'(w_idx[2*i+:2]) : SW'(i);
        for (int unsigned v = 0; v < 4; v++) plane[v][i] = exists[i] && 32'(w_idx[2*i+:2]) == v;
      end
      w_reg[w_col]      <= row;
      w_zero_reg[w_col] <= w_zero & exists;
      w_idx_reg[w_col]  <= w_idx;
      sel_q[w_col]      <= sel_row;
      meta_q[w_col]     <= plane;
    end
  end

  logic err_q;
  always_ff @(posedge clk)
    if (rst) err_q <= 1'b0;
    else if (w_load && meta_err) err_q <= 1'b1;
  assign err = err_q;
  /*verilator tracing_on*/

  // ---------------------------------------------------------- multiplier cells
  // Byte pair j of a column's bank holds int8 weights 2j, 2j+1 or int16
  // weight j. Products are formed in unsigned 32-bit arithmetic on
  // sign-extended operands (exact: |product| < 2^31).
  logic [31:0] prod_q[K][Cells];
  /*verilator tracing_off*/  // loop variables; prod_d is prod_q one cycle early
  logic [31:0] prod_d[K][Cells];
  always_comb begin
    for (int unsigned k = 0; k < K; k++) begin
      if (!colv_q[k]) begin
        for (int unsigned j = 0; j < Cells; j++) prod_d[k][j] = '0;
      end else if (mode_q) begin
        for (int unsigned j = 0; j < Cells; j++)
          prod_d[k][j] = {{16{w_reg[k][2*j+1][7]}}, w_reg[k][2*j+1], w_reg[k][2*j]} * a_op[sel_q[k][j]];
      end else begin
        for (int unsigned j = 0; j < Cells; j++)
          prod_d[k][j] = {{24{w_reg[k][2*j][7]}}, w_reg[k][2*j]} * a_op[sel_q[k][2*j]] +
                         {{24{w_reg[k][2*j+1][7]}}, w_reg[k][2*j+1]} * a_op[sel_q[k][2*j+1]];
      end
    end
  end
  always_ff @(posedge clk)
    if (rst) prod_q <= '{default: '{default: '0}};
    else prod_q <= prod_d;
  /*verilator tracing_on*/

  // -------------------------------------------------------------------- columns
  for (genvar k = 0; k < K; k++) begin : g_col
    // issue / live per multiplier, word-wide
    logic [C-1:0] sp_issue, sp_live;
    assign sp_issue = (meta_q[k][0] & vld_spread[0]) | (meta_q[k][1] & vld_spread[1]) |
                      (meta_q[k][2] & vld_spread[2]) | (meta_q[k][3] & vld_spread[3]);
    assign sp_live  = (meta_q[k][0] & live_spread[0]) | (meta_q[k][1] & live_spread[1]) |
                      (meta_q[k][2] & live_spread[2]) | (meta_q[k][3] & live_spread[3]);
    assign mac_issue[k] = !colv_q[k] ? '0 : sparse_q ? sp_issue : act_vld[C-1:0] & mults_q;
    assign mac_live[k] = mac_issue[k] & ~w_zero_reg[k] & (sparse_q ? sp_live : act_live[C-1:0]);

    // adder tree, stage 1: groups of 4 cells
    logic signed [PSUM_W-1:0] grp_d[Groups], grp_q[Groups];
    logic signed [PSUM_W-1:0] col_sum;
    /*verilator tracing_off*/  // loop variables
    always_comb begin
      for (int unsigned g = 0; g < Groups; g++) begin
        grp_d[g] = '0;
        for (int unsigned j = 4 * g; j < 4 * g + 4 && j < Cells; j++)
          grp_d[g] += {{(PSUM_W - 32) {prod_q[k][j][31]}}, prod_q[k][j]};
      end
    end
    always_ff @(posedge clk)
      if (rst) grp_q <= '{default: '0};
      else grp_q <= grp_d;

    // adder tree, stage 2: the column's partial sum
    always_comb begin
      col_sum = '0;
      for (int unsigned g = 0; g < Groups; g++) col_sum += grp_q[g];
    end
    /*verilator tracing_on*/
    always_ff @(posedge clk)
      if (rst) psum[k] <= '0;
      else psum[k] <= col_sum;
  end
  // ------------------------------------------------------------------ wave view
  // The first lanes / multipliers / columns under readable names (u_view),
  // for depth-1 waves and the GTKWave save file.
  localparam int ViewLanes = AL < 8 ? AL : 8;
  localparam int ViewCols = K < 4 ? K : 4;
  localparam int ViewMults = C < 8 ? C : 8;
  logic [8*ViewLanes-1:0] view_act;
  logic [8*ViewCols*ViewMults-1:0] view_w;
  logic [ViewCols*ViewMults-1:0] view_wz, view_issue, view_live;
  logic [2*ViewCols*ViewMults-1:0] view_idx;
  logic [PSUM_W*ViewCols-1:0] view_psum;
  for (genvar l = 0; l < ViewLanes; l++) begin : g_view_lane
    assign view_act[8*l+:8] = act_reg[l];
  end
  for (genvar c = 0; c < ViewCols; c++) begin : g_view_col
    assign view_psum[PSUM_W*c+:PSUM_W] = psum[c];
    for (genvar m = 0; m < ViewMults; m++) begin : g_view_mult
      localparam int I = c * ViewMults + m;
      assign view_w[8*I+:8] = w_reg[c][m];
      assign view_wz[I] = w_zero_reg[c][m];
      assign view_idx[2*I+:2] = w_idx_reg[c][2*m+:2];
      assign view_issue[I] = mac_issue[c][m];
      assign view_live[I] = mac_live[c][m];
    end
  end

  sdla_mac_wave_view #(
      .VIEW_LANES(ViewLanes),
      .VIEW_COLS (ViewCols),
      .VIEW_MULTS(ViewMults),
      .KW        (KW),
      .PSUM_W    (PSUM_W)
  ) u_view (
      .clk           (clk),
      .rst           (rst),
      .mode_int16    (mode_int16),
      .sparse        (sparse),
      .w_load        (w_load),
      .w_col         (w_col),
      .meta_err      (meta_err),
      .err           (err),
      .a_valid       (a_valid),
      .psum_valid    (psum_valid),
      .lane_valid_in (lane_valid[ViewLanes-1:0]),
      .zero_in       (a_zero[ViewLanes-1:0]),
      .act_bytes     (view_act),
      .act_vld_bits  (act_vld[ViewLanes-1:0]),
      .act_live_bits (act_live[ViewLanes-1:0]),
      .col_valid_bits(col_valid[ViewCols-1:0]),
      .w_bytes       (view_w),
      .w_zero_bits   (view_wz),
      .idx_bits      (view_idx),
      .issue_bits    (view_issue),
      .live_bits     (view_live),
      .psum_bits     (view_psum)
  );
endmodule
