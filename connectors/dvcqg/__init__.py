"""The National Public Service Portal (Cổng Dịch vụ công quốc gia, DVCQG) spoken in its own
protocol: session login, ``TraCuuHoSo``, ``DongBoHoSoMC``, ``CapNhatTienDoHoSoMC``."""
