// The atlantic PTP timestamp ring, Ivan Vecera, netdev, 1 Feb 2024 (applied to net by Jakub Kicinski): "Function
// aq_ring_hwts_rx_alloc() maps extra AQ_CFG_RXDS_DEF bytes for PTP HWTS ring but then generic aq_ring_free() does
// not take this into account."
//
// The story. The hardware-timestamp ring of the aQuantia/Marvell atlantic NIC is allocated with room for
// AQ_CFG_RXDS_DEF extra bytes, but released by the generic ring free, which computes the size of an ordinary ring:
// "DMA-API: atlantic 0000:4b:00.0: device driver frees DMA memory with different size [device
// address=0x00000000fbdd0000] [map size=34816 bytes] [unmap size=32768 bytes]".
//
// The fix. "Create and use a specific function to free HWTS ring": the free uses the size the allocation used. Here
// the allocation and the free of the error path are retold in one function, so the two sizes meet.
//
// Rule: DRV3003 at the free with the ordinary ring's size.
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.AtlanticHwtsRingFreeSize;

internal sealed class AqPtp
{
    internal AqPtp(Device dev) => Dev = dev;

    internal Device Dev { get; }

    internal byte[]? HwtsRx;

    internal DmaAddr HwtsRxHandle;

    internal bool RingInitFails { get; init; }
}

internal static class Buggy
{
    private const int RingBytes = 32768;

    private const int RxdsDef = 2048;

    /// <summary>aq_ptp_ring_alloc: the HWTS ring, then the rest; on failure the generic aq_ring_free().</summary>
    internal static int PtpRingAlloc(AqPtp ptp)
    {
        var hwts = DmaApi.DmaAllocCoherent(ptp.Dev, RingBytes + RxdsDef, out var handle, Gfp.Kernel);
        if (hwts is null)
        {
            return -Errno.ENOMEM;
        }

        if (ptp.RingInitFails)
        {
            DmaApi.DmaFreeCoherent(ptp.Dev, RingBytes, hwts, handle); // DRV3003
            return -Errno.ENOMEM;
        }

        ptp.HwtsRx = hwts;
        ptp.HwtsRxHandle = handle;
        return 0;
    }
}

internal static class Fixed
{
    private const int RingBytes = 32768;

    private const int RxdsDef = 2048;

    /// <summary>aq_ring_hwts_rx_free: the same size as aq_ring_hwts_rx_alloc.</summary>
    internal static int PtpRingAlloc(AqPtp ptp)
    {
        var hwts = DmaApi.DmaAllocCoherent(ptp.Dev, RingBytes + RxdsDef, out var handle, Gfp.Kernel);
        if (hwts is null)
        {
            return -Errno.ENOMEM;
        }

        if (ptp.RingInitFails)
        {
            DmaApi.DmaFreeCoherent(ptp.Dev, RingBytes + RxdsDef, hwts, handle);
            return -Errno.ENOMEM;
        }

        ptp.HwtsRx = hwts;
        ptp.HwtsRxHandle = handle;
        return 0;
    }
}
