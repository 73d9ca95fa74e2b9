"""The demo's official documents: each sender's own code notation, the subjects they write
about, and the status feedback their recipients send back, in the order of the edXML codes."""

from __future__ import annotations

from dataclasses import dataclass

# Code notations (ký hiệu) of the demo's senders; a province's office writes VP-UBND
NOTATIONS = {"000.00.00.G22": "VPCP-TTĐT", "000.00.00.G12": "BTC-VP", "000.00.00.G09": "BNV-VP"}
SUBJECTS = (
    "V/v đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình",
    "V/v đồng bộ trạng thái hồ sơ thủ tục hành chính lên Cổng Dịch vụ công quốc gia",
    "V/v báo cáo kết quả số hoá hồ sơ, kết quả giải quyết thủ tục hành chính",
    "V/v triển khai thanh toán trực tuyến phí, lệ phí",
)
FEEDBACK_PATH = ("01", "03", "04", "05", "06")  # arrived, accepted, assigned, processing, done
FEEDBACK_NOTES = {
    "01": "Văn bản đã đến hệ thống",
    "03": "Đã vào sổ văn bản đến",
    "04": "Đã phân công xử lý",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành xử lý",
}


@dataclass
class AwaitingFeedback:
    """A ministry's document whose recipients have not sent all their status feedback."""

    document_id: str
    sender: str
    next_status: dict[str, int]  # recipient -> index of its next FEEDBACK_PATH code
