using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Dma;

[Collection("RuntimeCheck")]
public sealed class DmaMappingTests : RuntimeCheckTest
{
    private static Page NewPage(int order = 0) => PageAlloc.AllocPages(Gfp.Kernel, order) ?? throw new InvalidOperationException("out of pages");

    [Fact]
    public void MapPageCheckUnmapRoundTrip()
    {
        var dev = new Device("map-page");
        var page = NewPage();
        var addr = DmaApi.MapPage(dev, page, 128, 256, DmaDataDirection.FromDevice);
        Assert.False(DmaApi.MappingError(dev, addr));
        Assert.Equal(1, dev.StreamingMappingCount);

        Assert.True(dev.DmaWrite(addr, new byte[] { 1, 2, 3 }));
        Assert.Equal(new byte[] { 1, 2, 3 }, page.Data[128..131]);
        DmaApi.SyncSingleForCpu(dev, addr, 256, DmaDataDirection.FromDevice);

        DmaApi.UnmapPage(dev, addr, 256, DmaDataDirection.FromDevice);
        Assert.Equal(0, dev.StreamingMappingCount);
        Assert.False(dev.DmaWrite(addr, new byte[] { 4 }));
        ExpectOnly(RuntimeViolationKind.IommuFault);

        dev.Release();
        Assert.Equal(0, dev.Iommu.MappedCount);
        PageAlloc.FreePages(page, 0);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void DeviceCannotWriteThroughAToDeviceMapping()
    {
        var dev = new Device("to-device");
        var page = NewPage();
        var addr = DmaApi.MapPage(dev, page, 0, Page.Size, DmaDataDirection.ToDevice);
        Assert.False(DmaApi.MappingError(dev, addr));
        page.Data[7] = 42;
        var buffer = new byte[8];
        Assert.True(dev.DmaRead(addr, buffer));
        Assert.Equal(42, buffer[7]);
        Assert.False(dev.DmaWrite(addr, buffer));
        DmaApi.UnmapPage(dev, addr, Page.Size, DmaDataDirection.ToDevice);
        dev.Release();
        PageAlloc.FreePages(page, 0);
        ExpectOnly(RuntimeViolationKind.IommuFault);
    }

    [Fact]
    public void UnmapWithoutMappingErrorCheckIsReported()
    {
        var dev = new Device("unchecked");
        var page = NewPage();
        var addr = DmaApi.MapPage(dev, page, 0, 64, DmaDataDirection.ToDevice);
        DmaApi.UnmapPage(dev, addr, 64, DmaDataDirection.ToDevice);
        ExpectOnly(RuntimeViolationKind.DmaMappingErrorNotChecked);
        dev.Release();
        PageAlloc.FreePages(page, 0);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void UnmapWithWrongSizeOrDirectionIsReported()
    {
        var dev = new Device("wrong-size");
        var page = NewPage();
        var addr = DmaApi.MapPage(dev, page, 0, 512, DmaDataDirection.ToDevice);
        Assert.False(DmaApi.MappingError(dev, addr));
        DmaApi.UnmapPage(dev, addr, 1024, DmaDataDirection.FromDevice);
        Assert.Equal(2, RuntimeCheck.Count(RuntimeViolationKind.DmaMismatchedFree));
        ExpectOnly(RuntimeViolationKind.DmaMismatchedFree, RuntimeViolationKind.DmaMismatchedFree);
        Assert.Equal(0, dev.StreamingMappingCount);
        dev.Release();
        PageAlloc.FreePages(page, 0);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void DoubleUnmapIsReported()
    {
        var dev = new Device("double-unmap");
        var page = NewPage();
        var addr = DmaApi.MapPage(dev, page, 0, 64, DmaDataDirection.Bidirectional);
        Assert.False(DmaApi.MappingError(dev, addr));
        DmaApi.UnmapPage(dev, addr, 64, DmaDataDirection.Bidirectional);
        DmaApi.UnmapPage(dev, addr, 64, DmaDataDirection.Bidirectional);
        ExpectOnly(RuntimeViolationKind.DmaUnmapNotMapped);
        dev.Release();
        PageAlloc.FreePages(page, 0);
    }

    [Fact]
    public void ExhaustedIovaSpaceFailsTheMapAndTheDriverCopes()
    {
        var dev = new Device("small-iommu", new Iommu("tiny", iovaPages: 8), atomicPoolPages: 0);
        var page = NewPage();
        var handles = new List<DmaAddr>();
        for (var i = 0; i < 20; i++)
        {
            var addr = DmaApi.MapPage(dev, page, 0, Page.Size, DmaDataDirection.ToDevice);
            if (DmaApi.MappingError(dev, addr))
            {
                break;
            }

            handles.Add(addr);
        }

        Assert.Equal(8, handles.Count);
        Assert.Equal(0, dev.Iommu.FreePages);
        foreach (var addr in handles)
        {
            DmaApi.UnmapPage(dev, addr, Page.Size, DmaDataDirection.ToDevice);
        }

        Assert.Equal(8, dev.Iommu.FreePages);
        var again = DmaApi.MapPage(dev, page, 0, Page.Size, DmaDataDirection.ToDevice);
        Assert.False(DmaApi.MappingError(dev, again));
        DmaApi.UnmapPage(dev, again, Page.Size, DmaDataDirection.ToDevice);
        dev.Release();
        Assert.Equal(0, dev.Iommu.MappedCount);
        PageAlloc.FreePages(page, 0);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void LeakedMappingIsReportedAtTeardown()
    {
        var dev = new Device("leaky");
        var page = NewPage();
        var addr = DmaApi.MapPage(dev, page, 0, 64, DmaDataDirection.ToDevice);
        Assert.False(DmaApi.MappingError(dev, addr));
        dev.Release();
        Assert.Contains("pending DMA allocations", Expect(RuntimeViolationKind.DmaLeak).Message);
        ExpectOnly(RuntimeViolationKind.DmaLeak);
        Assert.Equal(0, dev.Iommu.MappedCount);
        PageAlloc.FreePages(page, 0);
    }

    [Fact]
    public void UnmapThroughAnotherDeviceOnTheSameIommuIsReported()
    {
        var iommu = new Iommu("shared");
        var dev = new Device("owner", iommu);
        var other = new Device("other", iommu);
        var page = NewPage();
        var addr = DmaApi.MapPage(dev, page, 0, 64, DmaDataDirection.ToDevice);
        Assert.False(DmaApi.MappingError(dev, addr));
        DmaApi.UnmapPage(other, addr, 64, DmaDataDirection.ToDevice);
        ExpectOnly(RuntimeViolationKind.DmaMismatchedFree);
        Assert.Equal(0, dev.StreamingMappingCount);
        dev.Release();
        other.Release();
        Assert.Equal(0, iommu.MappedCount);
        PageAlloc.FreePages(page, 0);
        RuntimeCheck.AssertClean();
    }
}
