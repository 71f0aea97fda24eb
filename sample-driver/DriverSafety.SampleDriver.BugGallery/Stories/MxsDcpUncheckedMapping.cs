// "crypto: mxs-dcp - Check for DMA mapping errors", Sean Anderson, linux-crypto, 2021 (backported to the stable
// trees in September 2021).
//
// The story. The i.MX data co-processor driver mapped the buffers of a request with dma_map_single() and handed the
// bus addresses straight to the engine's descriptor. A mapping can fail - the IOMMU or swiotlb is out of space -
// and then the address is DMA_MAPPING_ERROR, which the hardware would happily use. CONFIG_DMA_API_DEBUG reports
// every such unchecked handle ("device driver failed to check map error").
//
// The fix. After dma_map_single(), call dma_mapping_error() before the address goes anywhere, and fail the request
// if it says so (the sample driver's DmaApi.MapPage names MappingError as the check every handle must pass).
//
// Rule: DRV3008 at the first use of the unchecked handle (its store into the descriptor).
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.MxsDcpUncheckedMapping;

internal sealed class DcpDescriptor
{
    internal DmaAddr Payload;
}

internal static class Buggy
{
    private const int KeyBytes = 32;

    /// <summary>mxs_dcp_start_dma: maps the key and points the descriptor at it.</summary>
    internal static int StartDma(Device dev, Page key, DcpDescriptor desc)
    {
        var handle = DmaApi.MapPage(dev, key, 0, KeyBytes, DmaDataDirection.ToDevice);
        desc.Payload = handle; // DRV3008
        var ret = Run(desc);
        DmaApi.UnmapPage(dev, handle, KeyBytes, DmaDataDirection.ToDevice);
        return ret;
    }

    private static int Run(DcpDescriptor desc) => desc.Payload.Value == 0 ? -Errno.EIO : 0;
}

internal static class Fixed
{
    private const int KeyBytes = 32;

    internal static int StartDma(Device dev, Page key, DcpDescriptor desc)
    {
        var handle = DmaApi.MapPage(dev, key, 0, KeyBytes, DmaDataDirection.ToDevice);
        if (DmaApi.MappingError(dev, handle))
        {
            return -Errno.ENOMEM;
        }

        desc.Payload = handle;
        var ret = Run(desc);
        DmaApi.UnmapPage(dev, handle, KeyBytes, DmaDataDirection.ToDevice);
        return ret;
    }

    private static int Run(DcpDescriptor desc) => desc.Payload.Value == 0 ? -Errno.EIO : 0;
}
