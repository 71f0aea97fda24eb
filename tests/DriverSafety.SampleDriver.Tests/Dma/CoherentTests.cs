using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Dma;

[Collection("RuntimeCheck")]
public sealed class CoherentTests : RuntimeCheckTest
{
    [Fact]
    public void AtomicCallerIsServedFromThePoolWithoutSleeping()
    {
        var dev = new Device("coherent-atomic", atomicPoolPages: 4);
        var s = new SpinLock("CoherentTests.Ring");
        var flags = s.LockIrqSave();
        var cpu = DmaApi.DmaAllocCoherent(dev, 3000, out var handle, Gfp.Atomic);
        s.UnlockIrqRestore(flags);

        Assert.NotNull(cpu);
        Assert.True(cpu.Length >= 3000);
        Assert.Equal(3, dev.AtomicPool.FreePages);
        Assert.True(dev.DmaWrite(handle.Add(10), new byte[] { 7, 8 }));
        Assert.Equal(new byte[] { 7, 8 }, cpu[10..12]);
        cpu[100] = 5;
        var seen = new byte[1];
        Assert.True(dev.DmaRead(handle.Add(100), seen));
        Assert.Equal(5, seen[0]);

        DmaApi.DmaFreeCoherent(dev, 3000, cpu, handle);
        Assert.Equal(4, dev.AtomicPool.FreePages);
        dev.Release();
        Assert.Equal(0, dev.Iommu.MappedCount);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void PoolExhaustionFailsTheAtomicAllocation()
    {
        var dev = new Device("coherent-small", atomicPoolPages: 2);
        var first = DmaApi.DmaAllocCoherent(dev, 2 * Page.Size, out var h1, Gfp.Atomic);
        Assert.NotNull(first);
        var second = DmaApi.DmaAllocCoherent(dev, 16, out var h2, Gfp.Atomic);
        Assert.Null(second);
        Assert.Equal(DmaApi.DMA_MAPPING_ERROR, h2);
        DmaApi.DmaFreeCoherent(dev, 2 * Page.Size, first, h1);
        dev.Release();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void BlockingCallerTakesTheRemapPath()
    {
        var dev = new Device("coherent-remap");
        var pool = dev.AtomicPool.FreePages;
        var freePages = PageAlloc.FreePageCount;
        var live = Slab.LiveAllocations;
        var cpu = DmaApi.DmaAllocCoherent(dev, 3 * Page.Size, out var handle, Gfp.Kernel);
        Assert.NotNull(cpu);
        Assert.Equal(pool, dev.AtomicPool.FreePages);
        Assert.Equal(freePages - 4, PageAlloc.FreePageCount);
        Assert.True(Slab.LiveAllocations > live);
        Assert.Equal(1, dev.CoherentAllocationCount);
        Assert.True(dev.DmaWrite(handle.Add((2 * Page.Size) + 1), new byte[] { 3 }));
        Assert.Equal(3, cpu[(2 * Page.Size) + 1]);

        DmaApi.DmaFreeCoherent(dev, 3 * Page.Size, cpu, handle);
        Assert.Equal(freePages, PageAlloc.FreePageCount);
        Assert.Equal(live, Slab.LiveAllocations);
        Assert.Equal(0, dev.CoherentAllocationCount);
        dev.Release();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void BlockingFlagsWithIrqsDisabledSleepOnTheRemapPath()
    {
        var dev = new Device("coherent-seed-004");
        var flags = Irq.LocalSave();
        var cpu = DmaApi.DmaAllocCoherent(dev, Page.Size, out var handle, Gfp.Kernel);
        Irq.LocalRestore(flags);
        Assert.NotNull(cpu);
        Assert.Contains(RuntimeCheck.Violations, v => v.Kind == RuntimeViolationKind.SleepInAtomic && v.Message.Contains("map_vm_area"));
        Assert.All(RuntimeCheck.Violations, v => Assert.Equal(RuntimeViolationKind.SleepInAtomic, v.Kind));
        RuntimeCheck.Reset();
        DmaApi.DmaFreeCoherent(dev, Page.Size, cpu, handle);
        dev.Release();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void FreeWithIrqsDisabledIsReported()
    {
        var dev = new Device("coherent-irqs-off");
        var cpu = DmaApi.DmaAllocCoherent(dev, 64, out var handle, Gfp.Atomic)!;
        var flags = Irq.LocalSave();
        DmaApi.DmaFreeCoherent(dev, 64, cpu, handle);
        Irq.LocalRestore(flags);
        ExpectOnly(RuntimeViolationKind.IrqsDisabledCall);
        dev.Release();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void FreeWithWrongSizeHandleOrDeviceIsReported()
    {
        var dev = new Device("coherent-mismatch");
        var other = new Device("coherent-other");
        var cpu = DmaApi.DmaAllocCoherent(dev, 128, out var handle, Gfp.Kernel)!;
        DmaApi.DmaFreeCoherent(other, 256, cpu, handle.Add(Page.Size));
        Assert.Equal(3, RuntimeCheck.Count(RuntimeViolationKind.DmaMismatchedFree));
        ExpectOnly(RuntimeViolationKind.DmaMismatchedFree, RuntimeViolationKind.DmaMismatchedFree, RuntimeViolationKind.DmaMismatchedFree);
        Assert.Equal(0, dev.CoherentAllocationCount);

        DmaApi.DmaFreeCoherent(dev, 128, cpu, handle);
        ExpectOnly(RuntimeViolationKind.DmaUnmapNotMapped);
        dev.Release();
        other.Release();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void LeakedCoherentAllocationIsReportedAtTeardown()
    {
        var dev = new Device("coherent-leak");
        Assert.NotNull(DmaApi.DmaAllocCoherent(dev, 64, out _, Gfp.Kernel));
        dev.Release();
        ExpectOnly(RuntimeViolationKind.DmaLeak);
        Assert.Equal(0, dev.CoherentAllocationCount);
        Assert.Equal(0, dev.Iommu.MappedCount);
    }
}
