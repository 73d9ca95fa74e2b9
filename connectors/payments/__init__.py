"""Fees paid through the national payment platform (nền tảng thanh toán trực tuyến): its
Init / GetBill / Confirm messages with their MaXacThuc checksum, the handler NGSP's payment
responder runs, and what a one-stop-shop does with the result."""
