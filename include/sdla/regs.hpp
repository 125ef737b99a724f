/// \file
/// CSB register map of the accelerator: 32-bit registers, 4-byte aligned,
/// accessed one word per transaction.
///
/// A driver loads DRAM, writes DESC_PTR_LO/HI, writes CTRL.START, waits for
/// the interrupt, then reads STATUS (and ERROR_CODE / ERROR_LAYER on error)
/// and writes 1s to IRQ_STATUS to clear it.
#pragma once

#include <cstdint>

namespace sdla::regs {

enum : std::uint32_t {
  ID = 0x000,           ///< RO  'SDLA' = 0x53444C41
  VERSION = 0x004,      ///< RO  major << 16 | minor
  HW_CONFIG = 0x008,    ///< RO  atomic_c | atomic_k << 16
  CTRL = 0x010,         ///< W   bit 0 START (reads 0); START while busy is a command error
  STATUS = 0x014,       ///< RO  bit 0 BUSY, bit 1 DONE, bit 2 ERROR
  ERROR_CODE = 0x018,   ///< RO  ErrorCode of the last run
  ERROR_LAYER = 0x01C,  ///< RO  index of the layer that failed
  IRQ_STATUS = 0x020,   ///< RW1C bit 0 DONE, bit 1 ERROR
  IRQ_MASK = 0x024,     ///< RW  interrupt enables, reset 0x3
  DESC_PTR_LO = 0x028,  ///< RW  DRAM address of the first layer descriptor
  DESC_PTR_HI = 0x02C,  ///< RW
  LAYERS_DONE = 0x030,  ///< RO  layers completed in the last run
  CYCLES_LO = 0x034,    ///< RO  cycles of the last run
  CYCLES_HI = 0x038,    ///< RO
  LAST = CYCLES_HI,
};

constexpr std::uint32_t ID_VALUE = 0x53444C41;
constexpr std::uint32_t VERSION_VALUE = 0x00010000;
constexpr std::uint32_t CTRL_START = 1u << 0;
constexpr std::uint32_t STATUS_BUSY = 1u << 0, STATUS_DONE = 1u << 1, STATUS_ERROR = 1u << 2;
constexpr std::uint32_t IRQ_DONE = 1u << 0, IRQ_ERROR = 1u << 1;

enum class ErrorCode : std::uint32_t {
  none = 0,
  bad_descriptor = 1,    ///< wrong magic, or no descriptor (DESC_PTR = 0)
  invalid_layer = 2,     ///< a field the layer rules reject: op, precision, formats, shape, shift
  dma_error = 3,         ///< memory answered a DMA transfer with an error (e.g. outside DRAM)
  buffer_capacity = 4,   ///< the layer cannot be tiled into the unified buffer
  mac_array_error = 5,   ///< the MAC array rejected a pass (bad request or metadata)
  descriptor_loop = 6,   ///< the chain is longer than the limit (a cycle in next pointers)
  internal_error = 7,    ///< the model itself could not carry out the layer (e.g. out of host memory)
};

const char* to_string(ErrorCode e);

}  // namespace sdla::regs
