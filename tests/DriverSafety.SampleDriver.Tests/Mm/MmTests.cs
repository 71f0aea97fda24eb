using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Mm;

[Collection("RuntimeCheck")]
public sealed class MmTests : RuntimeCheckTest
{
    private sealed class CountingFops : FileOperations
    {
        public int Mmaps;
        public int Releases;

        public override int Mmap(DriverSafety.SampleDriver.Mm.File file, Vma vma)
        {
            vma.Mm.MmapLock.AssertWriteHeld();
            Mmaps++;
            vma.VmPgoff += 16;
            vma.VmOps = new PageVmOps();
            return 0;
        }

        public override void Release(DriverSafety.SampleDriver.Mm.File file) => Releases++;
    }

    private sealed class PageVmOps : VmOperations
    {
        public readonly Page Backing = PageAlloc.AllocPages(Gfp.Kernel, 2)!;

        public ulong LastPgoff;

        public override VmFaultResult Fault(VmFault vmf)
        {
            vmf.Vma.Mm.MmapLock.AssertHeld();
            LastPgoff = vmf.Pgoff;
            return vmf.Vma.InsertPage(vmf.Address, Backing) == 0 ? VmFaultResult.NoPage : VmFaultResult.SigBus;
        }

        public override void Close(Vma vma) => PageAlloc.FreePages(Backing, 2);
    }

    private sealed class RecordingNotifier : MmuNotifier
    {
        public readonly List<(ulong Start, ulong End)> Starts = new();
        public int Ends;

        public override int InvalidateRangeStart(MmuNotifierRange range)
        {
            Starts.Add((range.Start, range.End));
            return 0;
        }

        public override void InvalidateRangeEnd(MmuNotifierRange range) => Ends++;
    }

    [Fact]
    public void AnonymousMemoryFaultsPinsAndUnmaps()
    {
        var mm = new MmStruct("anon");
        var addr = (ulong)mm.Mmap(null, 4 * Page.Size, 0, VmFlags.Read | VmFlags.Write);
        Assert.Equal(MmStruct.MmapBase, addr);
        Assert.True(mm.CopyToUser(addr + 10, new byte[] { 1, 2, 3 }));
        Assert.Equal(1, mm.MappedPageCount);

        var pages = new Page[4];
        Assert.Equal(4, UserPages.PinUserPagesFast(mm, addr, 4, pages));
        Assert.Equal(new byte[] { 1, 2, 3 }, pages[0].Data[10..13]);
        Assert.All(pages, p => Assert.True(p.MaybeDmaPinned));
        Assert.Equal(4, mm.MappedPageCount);

        Assert.Equal(0, mm.Munmap(addr, 4 * Page.Size));
        Assert.Equal(0, mm.MappedPageCount);
        Assert.All(pages, p => Assert.False(p.IsFree));
        UserPages.UnpinUserPagesDirtyLock(pages, 4, makeDirty: true);
        Assert.All(pages, p => Assert.True(p.IsFree));
        mm.Exit();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void PinUserPagesNeedsTheCallerToHoldMmapLock()
    {
        var mm = new MmStruct("slow-gup");
        var addr = (ulong)mm.Mmap(null, 2 * Page.Size, 0, VmFlags.Read | VmFlags.Write);
        var pages = new Page[2];
        mm.MmapLock.DownRead();
        Assert.Equal(2, UserPages.PinUserPages(mm, addr, 2, pages));
        Assert.Equal(-Errno.EFAULT, UserPages.PinUserPages(mm, addr + (16 * Page.Size), 1, new Page[1]));
        mm.MmapLock.UpRead();
        UserPages.UnpinUserPages(pages, 2);
        RuntimeCheck.AssertClean();

        UserPages.PinUserPages(mm, addr, 1, pages);
        ExpectOnly(RuntimeViolationKind.LockNotHeld);
        UserPages.UnpinUserPages(pages, 1);
        mm.Exit();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void FileMappingHoldsItsFileAndFaultsThroughTheDriver()
    {
        var fops = new CountingFops();
        var file = new DriverSafety.SampleDriver.Mm.File("gem", fops);
        var mm = new MmStruct("file");
        var addr = (ulong)mm.Mmap(file, 2 * Page.Size, 3, VmFlags.Read | VmFlags.Shared);
        Assert.Equal(1, fops.Mmaps);
        Assert.Equal(2, file.Count);

        mm.MmapLock.DownRead();
        var vma = mm.FindVma(addr + Page.Size)!;
        Assert.Same(file, vma.VmFile);
        Assert.Equal(19ul, vma.VmPgoff);
        Assert.Equal(VmFaultResult.Ok, mm.HandleMmFault(addr + Page.Size, write: false));
        Assert.Equal(20ul, ((PageVmOps)vma.VmOps!).LastPgoff);
        Assert.Equal(VmFaultResult.SigSegv, mm.HandleMmFault(addr + Page.Size, write: true));
        mm.MmapLock.UpRead();

        mm.Exit();
        Assert.Equal(1, file.Count);
        file.Put();
        Assert.Equal(1, fops.Releases);
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void NotifierSeesEveryInvalidation()
    {
        var mm = new MmStruct("notified");
        var notifier = new RecordingNotifier();
        Assert.Equal(0, mm.RegisterNotifier(notifier));
        Assert.Equal(-Errno.EBUSY, mm.RegisterNotifier(notifier));
        var addr = (ulong)mm.Mmap(null, 2 * Page.Size, 0, VmFlags.Read | VmFlags.Write);
        Assert.True(mm.CopyToUser(addr, new byte[] { 1 }));

        Assert.Equal(0, mm.InvalidateRange(addr, addr + Page.Size));
        Assert.Equal(0, mm.MappedPageCount);
        Assert.Equal(0, mm.Munmap(addr, 2 * Page.Size));
        Assert.Equal(new[] { (addr, addr + Page.Size), (addr, addr + (2 * Page.Size)) }, notifier.Starts);
        Assert.Equal(2, notifier.Ends);

        mm.UnregisterNotifier(notifier);
        Assert.Null(notifier.Mm);
        mm.Exit();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void LastFputFromAtomicContextIsDeferred()
    {
        var fops = new CountingFops();
        var file = new DriverSafety.SampleDriver.Mm.File("deferred", fops);
        var s = new SpinLock("MmTests.Spin");
        s.Lock();
        file.Put();
        s.Unlock();
        Assert.True(file.IsReleased);
        WorkQueue.System.Flush();
        Assert.Equal(1, fops.Releases);
        RuntimeCheck.AssertClean();
    }
}
