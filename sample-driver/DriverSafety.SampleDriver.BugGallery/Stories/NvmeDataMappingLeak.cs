// Commit 1bf86336e4b6 ("nvme-pci: fix dma mapping leak on data setup error"), Keith Busch, 2026 (v7.1; CVE-2026-64019),
// fixing 7ce3c1dd78fc from v6.17.
//
// The story. nvme-pci maps a request's data for the device and then allocates the descriptors (PRP list or SGL) that
// tell the controller where the mapped segments are. "The initial DMA mapping leaks during iteration if the tracking
// descriptor allocation fails for both PRP and SGL": the error return left the caller's data mapped, and nothing
// would ever unmap it - the request completes with an error and its data is reused or freed while the IOMMU still
// maps it.
//
// The fix. Every mapping created during setup is unmapped on every error path out of it, including the paths that
// abort before the tracking structure exists. Here the request's data is one sg table that belongs to the caller.
//
// Rule: DRV3001 at the map of the caller's table, the error exit that leaves it mapped as additional location.
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.NvmeDataMappingLeak;

internal sealed class NvmeRequest
{
    internal NvmeRequest(SgTable data) => Data = data;

    internal SgTable Data { get; }

    internal byte[]? Descriptors;

    internal bool PoolExhausted { get; init; }
}

internal static class Buggy
{
    /// <summary>nvme_map_data: map the data, then allocate the PRP/SGL descriptors for it.</summary>
    [RequiresNotState("dma-mapping", Target = "req.Data")]
    internal static int MapData(Device dev, NvmeRequest req)
    {
        var ret = DmaApi.MapSgtable(dev, req.Data, DmaDataDirection.ToDevice); // DRV3001
        if (ret != 0)
        {
            return ret;
        }

        var descriptors = AllocDescriptors(req);
        if (descriptors is null)
        {
            return -Errno.ENOMEM;
        }

        req.Descriptors = descriptors;
        return 0;
    }

    private static byte[]? AllocDescriptors(NvmeRequest req) => req.PoolExhausted ? null : new byte[256];
}

internal static class Fixed
{
    [RequiresNotState("dma-mapping", Target = "req.Data")]
    internal static int MapData(Device dev, NvmeRequest req)
    {
        var ret = DmaApi.MapSgtable(dev, req.Data, DmaDataDirection.ToDevice);
        if (ret != 0)
        {
            return ret;
        }

        var descriptors = AllocDescriptors(req);
        if (descriptors is null)
        {
            DmaApi.UnmapSgtable(dev, req.Data, DmaDataDirection.ToDevice);
            return -Errno.ENOMEM;
        }

        req.Descriptors = descriptors;
        return 0;
    }

    private static byte[]? AllocDescriptors(NvmeRequest req) => req.PoolExhausted ? null : new byte[256];
}
