using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Dma;

[Collection("RuntimeCheck")]
public sealed class ScatterGatherTests : RuntimeCheckTest
{
    [Fact]
    public void PageAlignedSegmentsMergeIntoOneDeviceSegment()
    {
        var dev = new Device("sg-merge");
        var block = PageAlloc.AllocPages(Gfp.Kernel, 2)!;
        var sgt = SgTable.Alloc(3, Gfp.Kernel)!;
        sgt.SetPage(0, block, Page.Size, 0);
        sgt.SetPage(1, block, Page.Size, Page.Size);
        sgt.SetPage(2, block, 100, 2 * Page.Size);
        Assert.False(sgt.IsMapped);

        var nents = DmaApi.MapSg(dev, sgt, DmaDataDirection.Bidirectional);
        Assert.Equal(1, nents);
        Assert.Equal(1, sgt.Nents);
        Assert.Equal(3, sgt.OrigNents);
        Assert.True(sgt.IsMapped);
        Assert.Equal((2 * Page.Size) + 100, sgt.Entries[0].DmaLength);

        var payload = Enumerable.Range(0, Page.Size + 10).Select(i => (byte)i).ToArray();
        Assert.True(dev.DmaWrite(sgt.Entries[0].DmaAddress.Add(Page.Size - 5), payload));
        DmaApi.SyncSgForCpu(dev, sgt, DmaDataDirection.Bidirectional);
        Assert.Equal(payload, block.Data[(Page.Size - 5)..((2 * Page.Size) + 5)]);

        DmaApi.UnmapSg(dev, sgt, DmaDataDirection.Bidirectional);
        Assert.False(sgt.IsMapped);
        sgt.Free();
        dev.Release();
        PageAlloc.FreePages(block, 2);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void UnalignedSegmentsStaySeparate()
    {
        var dev = new Device("sg-split");
        var a = PageAlloc.AllocPage(Gfp.Kernel)!;
        var b = PageAlloc.AllocPage(Gfp.Kernel)!;
        var sgt = SgTable.Alloc(2, Gfp.Kernel)!;
        sgt.SetPage(0, a, 100, 10);
        sgt.SetPage(1, b, 200, 20);
        Assert.Equal(0, DmaApi.MapSgtable(dev, sgt, DmaDataDirection.ToDevice));
        Assert.Equal(2, sgt.Nents);
        Assert.Equal(10ul, sgt.Entries[0].DmaAddress.Value & (Page.Size - 1));
        Assert.Equal(20ul, sgt.Entries[1].DmaAddress.Value & (Page.Size - 1));
        DmaApi.SyncSgForDevice(dev, sgt, DmaDataDirection.ToDevice);
        DmaApi.UnmapSgtable(dev, sgt, DmaDataDirection.ToDevice);
        sgt.Free();
        dev.Release();
        PageAlloc.FreePages(a, 0);
        PageAlloc.FreePages(b, 0);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void FromPagesMergesContiguousFrames()
    {
        var pages = new Page[4];
        for (var i = 0; i < pages.Length; i++)
        {
            pages[i] = PageAlloc.AllocPage(Gfp.Kernel)!;
        }

        var contiguous = pages.Zip(pages.Skip(1)).All(p => p.Second.Pfn == p.First.Pfn + 1);
        var sgt = SgTable.FromPages(pages, 4, 0, 4 * Page.Size, Gfp.Kernel)!;
        Assert.Equal(contiguous ? 1 : sgt.OrigNents, sgt.OrigNents);
        Assert.Equal(4L * Page.Size, sgt.TotalLength);

        var dev = new Device("sg-from-pages");
        Assert.Equal(0, DmaApi.MapSgtable(dev, sgt, DmaDataDirection.FromDevice));
        Assert.True(dev.DmaWrite(sgt.Entries[0].DmaAddress.Add((3 * Page.Size) + 1), new byte[] { 9 }));
        Assert.Equal(9, pages[3].Data[1]);
        DmaApi.UnmapSgtable(dev, sgt, DmaDataDirection.FromDevice);
        sgt.Free();
        dev.Release();
        foreach (var page in pages)
        {
            PageAlloc.FreePages(page, 0);
        }

        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void MappingAMappedTableIsReportedAndLeaks()
    {
        var dev = new Device("sg-double");
        var page = PageAlloc.AllocPage(Gfp.Kernel)!;
        var sgt = SgTable.Alloc(1, Gfp.Kernel)!;
        sgt.SetPage(0, page, Page.Size, 0);
        Assert.Equal(0, DmaApi.MapSgtable(dev, sgt, DmaDataDirection.ToDevice));
        Assert.Equal(0, DmaApi.MapSgtable(dev, sgt, DmaDataDirection.ToDevice));
        ExpectOnly(RuntimeViolationKind.DmaDoubleMap);

        Assert.Equal(2, dev.StreamingMappingCount);
        DmaApi.UnmapSgtable(dev, sgt, DmaDataDirection.ToDevice);
        sgt.Free();
        dev.Release();
        ExpectOnly(RuntimeViolationKind.DmaLeak);
        PageAlloc.FreePages(page, 0);
    }

    [Fact]
    public void UnmapAndSyncOfAnUnmappedTableAreReported()
    {
        var dev = new Device("sg-unmapped");
        var page = PageAlloc.AllocPage(Gfp.Kernel)!;
        var sgt = SgTable.Alloc(1, Gfp.Kernel)!;
        sgt.SetPage(0, page, 64, 0);
        DmaApi.UnmapSg(dev, sgt, DmaDataDirection.ToDevice);
        DmaApi.SyncSgForCpu(dev, sgt, DmaDataDirection.ToDevice);
        ExpectOnly(RuntimeViolationKind.DmaUnmapNotMapped, RuntimeViolationKind.DmaSyncInvalid);

        Assert.Equal(1, DmaApi.MapSg(dev, sgt, DmaDataDirection.ToDevice));
        DmaApi.SyncSgForCpu(dev, sgt, DmaDataDirection.FromDevice);
        ExpectOnly(RuntimeViolationKind.DmaSyncInvalid);
        DmaApi.UnmapSg(dev, sgt, DmaDataDirection.ToDevice);
        sgt.Free();
        dev.Release();
        PageAlloc.FreePages(page, 0);
        RuntimeCheck.AssertClean();
    }
}
