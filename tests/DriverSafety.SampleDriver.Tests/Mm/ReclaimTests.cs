using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using Xunit;

namespace DriverSafety.SampleDriver.Tests.Mm;

[Collection("RuntimeCheck")]
public sealed class ReclaimTests : RuntimeCheckTest
{
    /// <summary>A cache of pages behind a driver lock; the scan either trylocks (correct) or blocks on the lock.</summary>
    private sealed class PageCacheShrinker : Shrinker
    {
        private readonly bool _trylock;
        private readonly Gfp _scanAllocation;

        public PageCacheShrinker(Mutex lockToTake, bool trylock, Gfp scanAllocation = Gfp.None)
            : base("test-cache")
        {
            Lock = lockToTake;
            _trylock = trylock;
            _scanAllocation = scanAllocation;
        }

        public Mutex Lock { get; }

        public List<Page> Cache { get; } = new();

        public int Scans { get; private set; }

        public override long Count() => Cache.Count;

        public override long Scan(int nrToScan)
        {
            Scans++;
            if (_trylock)
            {
                if (!Lock.TryLock())
                {
                    return ShrinkStop;
                }
            }
            else
            {
                Lock.Lock();
            }

            if (_scanAllocation != Gfp.None)
            {
                Slab.Kfree(Slab.Kmalloc(32, _scanAllocation));
            }

            var freed = 0;
            while (freed < nrToScan && Cache.Count > 0)
            {
                PageAlloc.FreePages(Cache[^1], 0);
                Cache.RemoveAt(Cache.Count - 1);
                freed++;
            }

            Lock.Unlock();
            return freed;
        }

        public void Fill(int pages)
        {
            Lock.Lock();
            for (var i = 0; i < pages; i++)
            {
                Cache.Add(PageAlloc.AllocPage(Gfp.NoIo)!);
            }

            Lock.Unlock();
        }

        public void Drain()
        {
            Lock.Lock();
            foreach (var page in Cache)
            {
                PageAlloc.FreePages(page, 0);
            }

            Cache.Clear();
            Lock.Unlock();
        }
    }

    private sealed class Mirror : MmuIntervalNotifier
    {
        public Mirror(ulong start, ulong length)
            : base(start, length)
        {
        }

        public Mutex Lock { get; } = new("ReclaimTests.MirrorLock");

        public int Invalidations { get; private set; }

        protected override bool Invalidate(MmuNotifierRange range, long currentSeq)
        {
            if (!range.Blockable)
            {
                return false;
            }

            Lock.Lock();
            Invalidations++;
            Lock.Unlock();
            return true;
        }
    }

    [Fact]
    public void KswapdRunsShrinkers()
    {
        var shrinker = new PageCacheShrinker(new Mutex("ReclaimTests.Cache"), trylock: true);
        shrinker.Fill(300);
        ShrinkerRegistry.Register(shrinker);
        var freed = Reclaim.Kswapd(200);
        ShrinkerRegistry.Unregister(shrinker);
        Assert.Equal(200, freed);
        Assert.Equal(100, shrinker.Count());
        Assert.Equal(2, shrinker.Scans);
        Assert.Equal(200, shrinker.FreedTotal);
        shrinker.Drain();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void MemoryPressureRunsDirectReclaimForSleepingAllocationsOnly()
    {
        var shrinker = new PageCacheShrinker(new Mutex("ReclaimTests.Pressure"), trylock: true);
        shrinker.Fill(64);
        ShrinkerRegistry.Register(shrinker);
        PageAlloc.SetTotalPages(PageAlloc.TotalPages - PageAlloc.FreePageCount);
        Assert.Equal(0, PageAlloc.FreePageCount);

        Assert.Null(PageAlloc.AllocPage(Gfp.Atomic));
        Assert.Equal(64, shrinker.Count());
        var runs = Reclaim.Runs;
        var page = PageAlloc.AllocPage(Gfp.Kernel);
        Assert.NotNull(page);
        Assert.True(Reclaim.Runs > runs);
        Assert.True(shrinker.Count() < 64);

        PageAlloc.FreePages(page, 0);
        ShrinkerRegistry.Unregister(shrinker);
        shrinker.Drain();
        PageAlloc.ResetTotalPages();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void AllocatingUnderALockTheShrinkerBlocksOnIsAnInversionThroughReclaim()
    {
        var shrinker = new PageCacheShrinker(new Mutex("ReclaimTests.Reclaimable"), trylock: false);
        shrinker.Fill(8);
        ShrinkerRegistry.Register(shrinker);

        shrinker.Lock.Lock();
        Slab.Kfree(Slab.Kmalloc(128, Gfp.Kernel));
        shrinker.Lock.Unlock();
        Assert.True(RuntimeCheck.HasOrder("ReclaimTests.Reclaimable", RuntimeCheck.FsReclaimClass));
        RuntimeCheck.AssertClean();

        Reclaim.Kswapd(4);
        ShrinkerRegistry.Unregister(shrinker);
        var v = Expect(RuntimeViolationKind.LockOrderInversion);
        Assert.Contains(RuntimeCheck.FsReclaimClass, v.Message);
        ExpectOnly(RuntimeViolationKind.LockOrderInversion);
        shrinker.Drain();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void NoIoScopeOrATrylockingShrinkerKeepsTheOrderClean()
    {
        var shrinker = new PageCacheShrinker(new Mutex("ReclaimTests.Safe"), trylock: true);
        shrinker.Fill(8);
        ShrinkerRegistry.Register(shrinker);
        shrinker.Lock.Lock();
        var scope = MemAlloc.NoIoSave();
        Slab.Kfree(Slab.Kmalloc(128, Gfp.Kernel));
        MemAlloc.NoIoRestore(scope);
        shrinker.Lock.Unlock();
        Assert.False(RuntimeCheck.HasOrder("ReclaimTests.Safe", RuntimeCheck.FsReclaimClass));
        Reclaim.Kswapd(4);
        ShrinkerRegistry.Unregister(shrinker);
        shrinker.Drain();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void AllocationInsideReclaimIsReported()
    {
        var shrinker = new PageCacheShrinker(new Mutex("ReclaimTests.Allocating"), trylock: true, scanAllocation: Gfp.Kernel);
        shrinker.Fill(4);
        ShrinkerRegistry.Register(shrinker);
        Reclaim.Kswapd(4);
        ShrinkerRegistry.Unregister(shrinker);
        ExpectOnly(RuntimeViolationKind.AllocationInReclaim);
        shrinker.Drain();
        RuntimeCheck.AssertClean();
    }

    [Fact]
    public void ReclaimForANonSleepingAllocationIsReported()
    {
        Assert.Equal(0, Reclaim.Run(Gfp.Atomic, 10));
        ExpectOnly(RuntimeViolationKind.ReclaimNotAllowed);
    }

    [Fact]
    public void ReclaimSwapsOutUnpinnedAnonymousPagesAndNotifiesMirrors()
    {
        var mm = new MmStruct("reclaimed");
        var addr = (ulong)mm.Mmap(null, 4 * Page.Size, 0, VmFlags.Read | VmFlags.Write);
        var mirror = new Mirror(addr, 4 * Page.Size);
        Assert.Equal(0, mm.RegisterNotifier(mirror));
        for (var i = 0; i < 4; i++)
        {
            Assert.True(mm.CopyToUser(addr + ((ulong)i * Page.Size), new byte[] { (byte)(i + 1) }));
        }

        var pinned = new Page[1];
        Assert.Equal(1, UserPages.PinUserPagesFast(mm, addr, 1, pinned));
        var seq = mirror.ReadBegin();

        var freed = Reclaim.Kswapd(100);
        Assert.True(freed >= 3);
        Assert.True(mirror.ReadRetry(seq));
        Assert.Equal(3, mirror.Invalidations);
        Assert.Equal(1, mm.MappedPageCount);

        var back = new Page[4];
        Assert.Equal(4, UserPages.PinUserPagesFast(mm, addr, 4, back));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(i + 1, back[i].Data[0]);
        }

        Assert.Same(pinned[0], back[0]);
        UserPages.UnpinUserPages(back, 4);
        UserPages.UnpinUserPages(pinned, 1);
        var fresh = mirror.ReadBegin();
        Assert.False(mirror.ReadRetry(fresh));
        mm.UnregisterNotifier(mirror);
        mm.Exit();
        RuntimeCheck.AssertClean();
    }
}
