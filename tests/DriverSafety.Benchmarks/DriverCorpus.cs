using System.Text;

namespace DriverSafety.Benchmarks;

/// <summary>
/// A deterministic, seeded generator of driver-like C# on the sample driver's API (its mutexes, spin locks, IRQ
/// save/restore, slab allocator with <c>Gfp</c> flags, <c>memalloc</c> scopes, DMA scatter-gather mappings, GEM objects
/// and their reservation locks), for the performance benchmark. Every generated unit is one namespace holding a ring
/// structure (guarded fields, two mutexes taken in one order, an IRQ-safe spin lock) and the functions of a small
/// driver over it, exercising every rule family:
/// <list type="bullet">
/// <item>lock discipline: guarded fields, <c>[Requires]</c> helpers, nested locks, try-locks, early-return unlocks;</item>
/// <item>lock order: the stats mutex taken under the ring mutex at the end of a call chain;</item>
/// <item>execution context: allocation flags passed down call chains of depth 3–8 into <c>Slab.Kmalloc</c>, called
/// with <c>Gfp.Atomic</c> under the spin lock or with IRQs off and with <c>Gfp.Kernel</c> under the mutex, flag tests on
/// the way, <c>memalloc_noio</c> scopes, sleeps after a try-lock;</item>
/// <item>lifetimes: DMA scatter-gather mappings begun and ended on every path, GEM vmaps under the reservation lock;</item>
/// <item>recursion: a pair of mutually recursive functions allocating with their caller's flags;</item>
/// <item>cross-file calls: each unit calls an earlier unit's allocation chain with IRQs off.</item>
/// </list>
/// A fraction of units (<see cref="BugRate"/>) carries one seeded bug each, of the kinds
/// <see cref="BugKind"/> lists, so the analysis also pays for reporting; the generator records how many of each it
/// planted (<see cref="Corpus.Bugs"/>), one finding each.
/// </summary>
public static class DriverCorpus
{
    /// <summary>The seed the benchmark uses; any other gives another corpus of the same shape.</summary>
    public const int DefaultSeed = 20261130;

    /// <summary>One unit in this many carries a bug.</summary>
    public const int BugRate = 20;

    /// <summary>The seeded bugs, with the rule each is found by.</summary>
    public enum BugKind
    {
        /// <summary>An early return leaves the ring mutex held (DRV1003).</summary>
        LockLeftHeld,

        /// <summary>A guarded field read without its lock (DRV1001).</summary>
        UnguardedRead,

        /// <summary><c>Gfp.Kernel</c> passed down the allocation chain under the spin lock (DRV2001).</summary>
        SleepingAllocationUnderSpinLock,

        /// <summary>An error path returns with the DMA mapping still begun (DRV3001).</summary>
        MappingLeak,

        /// <summary>The two mutexes taken in the other order too: a lock-order cycle (DRV1007, at compilation end).</summary>
        LockOrderInversion,
    }

    /// <summary>The rule that finds each <see cref="BugKind"/>.</summary>
    public static string RuleOf(BugKind kind) => kind switch
    {
        BugKind.LockLeftHeld => "DRV1003",
        BugKind.UnguardedRead => "DRV1001",
        BugKind.LockOrderInversion => "DRV1007",
        BugKind.SleepingAllocationUnderSpinLock => "DRV2001",
        BugKind.MappingLeak => "DRV3001",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The usings every generated file starts with.</summary>
    public const string Usings = """
        using DriverSafety;
        using DriverSafety.SampleDriver.Dma;
        using DriverSafety.SampleDriver.Gem;
        using DriverSafety.SampleDriver.Kernel;


        """;

    /// <summary>A generated corpus: its files (name, text), physical lines, units and planted bugs.</summary>
    public sealed record Corpus(IReadOnlyList<(string Name, string Text)> Files, int Lines, int Units, IReadOnlyDictionary<BugKind, int> Bugs)
    {
        /// <summary>The findings the planted bugs should produce, by rule id.</summary>
        public IReadOnlyDictionary<string, int> ExpectedFindings =>
            Bugs.GroupBy(b => RuleOf(b.Key)).ToDictionary(g => g.Key, g => g.Sum(b => b.Value), StringComparer.Ordinal);

        /// <summary>The largest file, by physical lines.</summary>
        public (string Name, string Text) LargestFile => Files.OrderByDescending(f => LineCount(f.Text)).ThenBy(f => f.Name, StringComparer.Ordinal).First();

        /// <summary>Writes the files into <paramref name="directory"/> (created if missing).</summary>
        public void WriteTo(string directory)
        {
            Directory.CreateDirectory(directory);
            foreach (var (name, text) in Files)
            {
                File.WriteAllText(Path.Combine(directory, name), text);
            }
        }
    }

    /// <summary>
    /// At least <paramref name="targetLines"/> physical lines of generated driver code, in files of one to four units
    /// each; the same <paramref name="seed"/> and size always give the same files.
    /// </summary>
    public static Corpus Generate(int targetLines, int seed = DefaultSeed)
    {
        var files = new List<(string, string)>();
        var bugs = Enum.GetValues<BugKind>().ToDictionary(k => k, _ => 0);
        var random = new Random(seed);
        var lines = 0;
        var unit = 0;
        while (lines < targetLines)
        {
            var file = new StringBuilder(Usings);
            var unitsInFile = 1 + random.Next(4);
            var first = unit;
            for (var i = 0; i < unitsInFile && lines + LineCount(file.ToString()) < targetLines; i++, unit++)
            {
                // Each unit draws from its own generator, so a unit's text does not depend on the file sizes before it.
                AppendUnit(file, unit, new Random(unchecked((seed * 7919) + unit)), bugs);
            }

            var text = file.ToString();
            files.Add(($"Unit{first:D5}.cs", text));
            lines += LineCount(text);
        }

        return new Corpus(files, lines, unit, bugs);
    }

    private static int LineCount(string text)
    {
        var count = 0;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                count++;
            }
        }

        return count;
    }

    private static void AppendUnit(StringBuilder s, int n, Random random, Dictionary<BugKind, int> bugs)
    {
        BugKind? bug = random.Next(BugRate) == 0 ? (BugKind)random.Next(Enum.GetValues<BugKind>().Length) : null;
        if (bug is { } planted)
        {
            bugs[planted]++;
        }

        var allocDepth = 3 + random.Next(6);   // 3..8
        var accountDepth = 3 + random.Next(6); // 3..8
        var size = 64 << random.Next(4);
        var direction = random.Next(3) switch { 0 => "ToDevice", 1 => "FromDevice", _ => "Bidirectional" };

        Add(s, 0, $$"""
            namespace Gen.U{{n:D5}}
            {
                /// <summary>The ring of unit {{n}}: its locks and the state they guard.</summary>
                internal sealed class Ring
                {
                    internal readonly Mutex Lock = new("u{{n}}.ring");
                    internal readonly Mutex StatsLock = new("u{{n}}.stats");
                    internal readonly SpinLock IrqLock = new("u{{n}}.irq");

                    internal Ring(Device dev) => Dev = dev;

                    internal Device Dev { get; }

                    [GuardedBy("Lock")] internal int Head;
                    [GuardedBy("Lock")] internal byte[]? Buffer;
                    [GuardedBy("StatsLock")] internal long Bytes;
                    [GuardedBy("IrqLock")] internal int Pending;
                    [GuardedBy("IrqLock")] internal byte[]? Scratch;
                }

                internal static class Unit
                {
            """);

        // The allocation chain: the flags travel down to the slab allocator; some links test them on the way.
        for (var i = 0; i < allocDepth; i++)
        {
            var next = i + 1 < allocDepth ? $"Alloc{i + 1}(dev, size, gfp)" : "Slab.Kmalloc(size, gfp)";
            Add(s, 8, (i == allocDepth - 1 ? 0 : random.Next(3)) switch
            {
                0 => $$"""
                    internal static byte[]? Alloc{{i}}(Device dev, int size, Gfp gfp) => {{next}};

                    """,
                1 => $$"""
                    internal static byte[]? Alloc{{i}}(Device dev, int size, Gfp gfp)
                    {
                        if (size <= 0 || size > {{size * 64}})
                        {
                            return null;
                        }

                        return {{next}};
                    }

                    """,
                _ => $$"""
                    internal static byte[]? Alloc{{i}}(Device dev, int size, Gfp gfp)
                    {
                        if ((gfp & Gfp.DirectReclaim) == 0)
                        {
                            gfp |= Gfp.NoWarn;
                        }

                        return {{next}};
                    }

                    """,
            });
        }

        // The accounting chain: its last link takes the stats mutex, so callers holding the ring mutex make the
        // Lock -> StatsLock edge of the lock-order graph through a chain.
        for (var i = 0; i < accountDepth; i++)
        {
            Add(s, 8, i + 1 < accountDepth
                ? $$"""
                    private static void Account{{i}}(Ring r, int bytes) => Account{{i + 1}}(r, bytes + {{i}});

                    """
                : $$"""
                    private static void Account{{i}}(Ring r, int bytes)
                    {
                        r.StatsLock.Lock();
                        r.Bytes += bytes;
                        r.StatsLock.Unlock();
                    }

                    """);
        }

        Add(s, 8, $$"""
            [Requires("r.Lock")]
            private static void Advance(Ring r, int count)
            {
                r.Head += count;
                if (r.Head >= {{size}})
                {
                    r.Head -= {{size}};
                }
            }

            internal static void Push(Ring r, int count)
            {
                r.Lock.Lock();
                Advance(r, count);
                Account0(r, count);
                r.Lock.Unlock();
            }

            internal static int Grow(Ring r, int size)
            {
                r.Lock.Lock();
                var buffer = Alloc0(r.Dev, size, Gfp.Kernel);
                if (buffer is null)
                {
            """);
        if (bug != BugKind.LockLeftHeld)
        {
            Add(s, 16, "r.Lock.Unlock();");
        }

        Add(s, 8, """
                    return -Errno.ENOMEM;
                }

                r.Buffer = buffer;
                r.Lock.Unlock();
                return 0;
            }

            """);

        Add(s, 8, bug == BugKind.UnguardedRead
            ? """
                internal static int Peek(Ring r) => r.Head;

                """
            : """
                internal static int Peek(Ring r)
                {
                    r.Lock.Lock();
                    var head = r.Head;
                    r.Lock.Unlock();
                    return head;
                }

                """);

        if (bug == BugKind.LockOrderInversion)
        {
            Add(s, 8, """
                internal static void Drain(Ring r)
                {
                    r.StatsLock.Lock();
                    r.Lock.Lock();
                    r.Head = 0;
                    r.Lock.Unlock();
                    r.StatsLock.Unlock();
                }

                """);
        }

        var refillFlags = bug == BugKind.SleepingAllocationUnderSpinLock ? "Gfp.Kernel" : random.Next(2) == 0 ? "Gfp.Atomic" : "Gfp.NoWait";
        Add(s, 8, $$"""
            internal static int Refill(Ring r)
            {
                var flags = r.IrqLock.LockIrqSave();
                var scratch = Alloc0(r.Dev, {{size}}, {{refillFlags}});
                var ok = scratch is not null;
                if (ok)
                {
                    r.Scratch = scratch;
                    r.Pending++;
                }

                r.IrqLock.UnlockIrqRestore(flags);
                return ok ? 0 : -Errno.ENOMEM;
            }

            internal static bool Poll(Ring r)
            {
                if (!r.IrqLock.TryLock())
                {
                    return false;
                }

                var busy = r.Pending > 0;
                r.IrqLock.Unlock();
                if (busy)
                {
                    Sched.Msleep(1);
                }

                return busy;
            }

            internal static int Transfer(Ring r, int nents)
            {
                var sgt = SgTable.Alloc(nents, Gfp.Kernel);
                if (sgt is null)
                {
                    return -Errno.ENOMEM;
                }

                var ret = DmaApi.MapSgtable(r.Dev, sgt, DmaDataDirection.{{direction}});
                if (ret != 0)
                {
                    sgt.Free();
                    return ret;
                }

            """);
        if (bug == BugKind.MappingLeak)
        {
            Add(s, 12, $$"""
                if (nents > {{size}})
                {
                    return -Errno.EINVAL;
                }

                """);
        }

        // A call into an earlier unit's allocation chain with IRQs off: the call graph spans files.
        var other = n == 0 ? n : random.Next(n);
        Add(s, 8, $$"""
                DmaApi.SyncSgForDevice(r.Dev, sgt, DmaDataDirection.{{direction}});
                DmaApi.UnmapSgtable(r.Dev, sgt, DmaDataDirection.{{direction}});
                sgt.Free();
                return 0;
            }

            [RequiresNotState("imported", Target = "bo")]
            internal static int Fill(GemObject bo, byte[] data)
            {
                var ret = bo.Resv.LockInterruptible(null);
                if (ret != 0)
                {
                    return ret;
                }

                var map = bo.Vmap();
                if (map is null)
                {
                    bo.Resv.Unlock();
                    return -Errno.ENOMEM;
                }

                map.Write(0, data);
                bo.Vunmap(map);
                bo.Resv.Unlock();
                return 0;
            }

            internal static int Walk(Device dev, int depth, Gfp gfp)
            {
                if (depth <= 0)
                {
                    return 0;
                }

                var block = depth % 3 == 0 ? Slab.Kmalloc({{size}}, gfp) : null;
                Slab.Kfree(block);
                return WalkOdd(dev, depth - 1, gfp) + 1;
            }

            private static int WalkOdd(Device dev, int depth, Gfp gfp) => depth <= 0 ? 0 : Walk(dev, depth - 1, gfp) + 2;

            internal static int WalkLocked(Ring r)
            {
                var flags = r.IrqLock.LockIrqSave();
                var count = Walk(r.Dev, {{3 + random.Next(6)}}, Gfp.Atomic);
                r.Pending += count;
                r.IrqLock.UnlockIrqRestore(flags);
                return count;
            }

            internal static byte[]? ReclaimSafe(Device dev)
            {
                var scope = MemAlloc.NoIoSave();
                var block = Alloc0(dev, {{size}}, Gfp.Kernel);
                MemAlloc.NoIoRestore(scope);
                return block;
            }

            internal static byte[]? Snapshot(Ring r)
            {
                var flags = Irq.LocalSave();
                var copy = global::Gen.U{{other:D5}}.Unit.Alloc0(r.Dev, {{size / 2}}, Gfp.Atomic);
                Irq.LocalRestore(flags);
                return copy;
            }
            """);
        Add(s, 0, """
                }
            }

            """);
    }

    /// <summary>Appends <paramref name="text"/> with <paramref name="indent"/> spaces before every non-empty line, and a newline.</summary>
    private static void Add(StringBuilder s, int indent, string text)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0)
            {
                s.Append(' ', indent).Append(line);
            }

            s.Append('\n');
        }
    }
}
