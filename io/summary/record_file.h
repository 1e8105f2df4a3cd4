// (internal) TFRecord framing, the container of TensorBoard's event files: each record is its
// length (uint64, little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked
// CRC-32C of the data. CRC-32C (Castagnoli) comes from Intel's ISA-L (crc32_iscsi).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ember::summary::detail {

/// CRC-32C of `data` (the iSCSI polynomial; "123456789" -> 0xE3069283).
std::uint32_t crc32c(std::string_view data);
/// The CRC TFRecord stores: rotated right by 15 bits plus a constant, so that a CRC of data that
/// itself holds CRCs is not degenerate.
std::uint32_t masked_crc32c(std::string_view data);

/// `data` framed as one record.
std::string frame_record(std::string_view data);

}  // namespace ember::summary::detail
