namespace DriverSafety.SampleDriver.Kernel;

/// <summary>The lockdep half of the runtime checker: held-lock stacks, the global lock-class order graph, IRQ usage.</summary>
public static partial class RuntimeCheck
{
    /// <summary>The pseudo lock class of memory reclaim (lockdep's <c>__fs_reclaim_map</c>).</summary>
    public const string FsReclaimClass = "fs_reclaim";

    private static readonly object s_fsReclaimMap = new();
    private static readonly RawSpinLock s_graphLock = new();

    [GuardedBy("s_graphLock")]
    private static readonly Dictionary<string, Dictionary<string, string>> s_after = new(StringComparer.Ordinal);

    [GuardedBy("s_graphLock")]
    private static readonly HashSet<string> s_reported = new(StringComparer.Ordinal);

    [GuardedBy("s_graphLock")]
    private static readonly HashSet<string> s_usedInHardIrq = new(StringComparer.Ordinal);

    [GuardedBy("s_graphLock")]
    private static readonly HashSet<string> s_usedIrqsOn = new(StringComparer.Ordinal);

    /// <summary>Whether the order <paramref name="before"/> → <paramref name="after"/> has been observed (an edge of the graph).</summary>
    public static bool HasOrder(string before, string after)
    {
        s_graphLock.Lock();
        var found = s_after.TryGetValue(before, out var next) && next.ContainsKey(after);
        s_graphLock.Unlock();
        return found;
    }

    private static void ResetLockDep()
    {
        s_graphLock.Lock();
        s_after.Clear();
        s_reported.Clear();
        s_usedInHardIrq.Clear();
        s_usedIrqsOn.Clear();
        s_graphLock.Unlock();
    }

    /// <summary>
    /// <c>lock_acquire</c>: checks the acquisition against the calling thread's held locks and the global order graph,
    /// then pushes it. Called before blocking (or after a successful trylock). Throws where the acquisition would
    /// deadlock the calling thread on itself.
    /// </summary>
    /// <param name="lockObject">The lock instance.</param>
    /// <param name="lockClass">The lock class (lockdep's key): the declaration the lock lives in, <c>"MmStruct.MmapLock"</c>.</param>
    /// <param name="kind">Whether holding it is atomic context.</param>
    /// <param name="shared">A read acquisition.</param>
    /// <param name="trylock">A trylock: cannot block, so it adds no order edge.</param>
    /// <param name="acquireContext">The ww acquire context, under which nesting one class is allowed.</param>
    /// <param name="subclass">The nesting subclass (<c>mutex_lock_nested</c>).</param>
    public static void LockAcquire(object lockObject, string lockClass, LockKind kind, bool shared, bool trylock, object? acquireContext = null, int subclass = 0)
    {
        var cpu = Cpu;
        var cls = subclass == 0 ? lockClass : lockClass + "/" + subclass;
        var site = CallSite();
        foreach (var held in cpu.Held)
        {
            if (ReferenceEquals(held.Lock, lockObject))
            {
                var message = $"possible recursive locking detected: thread {cpu.ThreadId} is trying to acquire {cls} at {site} but already holds it (acquired at {held.Site})";
                Report(RuntimeViolationKind.RecursiveLocking, message, cls);
                throw new RuntimeCheckException(message);
            }
        }

        s_graphLock.Lock();
        try
        {
            if (!trylock)
            {
                foreach (var held in cpu.Held)
                {
                    if (held.Class == cls)
                    {
                        if (acquireContext is not null && ReferenceEquals(held.AcquireContext, acquireContext))
                        {
                            continue;
                        }

                        if (s_reported.Add("nest:" + cls))
                        {
                            ReportLocked(RuntimeViolationKind.NestedSameClass, $"possible recursive locking detected: {cls} acquired at {site} while another lock of the same class is held (acquired at {held.Site}) without an acquire context or nesting subclass", cls);
                        }

                        continue;
                    }

                    AddEdgeLocked(held.Class, cls, site, cpu);
                }
            }

            if (kind == LockKind.Spinning)
            {
                CheckIrqUsageLocked(cls, cpu, site);
            }
        }
        finally
        {
            s_graphLock.Unlock();
        }

        cpu.Held.Add(new HeldLock(lockObject, cls, kind, shared, trylock, acquireContext, site));
    }

    /// <summary><c>lock_release</c>: pops the lock from the calling thread's held stack; false if it was not there.</summary>
    public static bool LockRelease(object lockObject)
    {
        var held = Cpu.Held;
        for (var i = held.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(held[i].Lock, lockObject))
            {
                held.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>Reports a release the lock's own owner tracking refused (not held, or held by another thread).</summary>
    public static void ReportBadUnlock(string lockClass, int ownerThread)
    {
        var me = Environment.CurrentManagedThreadId;
        if (ownerThread == 0)
        {
            Report(RuntimeViolationKind.ReleaseNotHeld, $"WARNING: bad unlock balance detected: thread {me} is trying to release lock {lockClass} but there are no more locks to release", lockClass);
        }
        else
        {
            Report(RuntimeViolationKind.ReleaseByNonOwner, $"DEBUG_LOCKS_WARN_ON(owner != current): thread {me} releases {lockClass} held by thread {ownerThread}", lockClass);
        }
    }

    /// <summary><c>lockdep_assert_held</c>: reports when the calling thread does not hold the lock.</summary>
    public static void AssertHeld(object lockObject, string lockClass)
    {
        if (!IsHeldByCurrent(lockObject))
        {
            Report(RuntimeViolationKind.LockNotHeld, $"WARNING: lockdep_assert_held({lockClass}) failed: {Cpu.DescribeHeld()}", lockClass);
        }
    }

    private static void ReportLocked(RuntimeViolationKind kind, string message, string? lockClass) =>
        s_violations.Enqueue(new RuntimeViolation(kind, message, lockClass, CallSite(), Environment.CurrentManagedThreadId));

    [Requires("s_graphLock")]
    private static void AddEdgeLocked(string before, string after, string? site, CpuContext cpu)
    {
        if (!s_after.TryGetValue(before, out var next))
        {
            next = new Dictionary<string, string>(StringComparer.Ordinal);
            s_after[before] = next;
        }

        if (next.ContainsKey(after))
        {
            return;
        }

        var chain = FindPathLocked(after, before);
        if (chain is not null)
        {
            var key = string.CompareOrdinal(before, after) < 0 ? before + "|" + after : after + "|" + before;
            if (s_reported.Add("cycle:" + key))
            {
                var first = s_after[chain[0]][chain[1]];
                ReportLocked(
                    RuntimeViolationKind.LockOrderInversion,
                    $"WARNING: possible circular locking dependency detected: thread {cpu.ThreadId} is trying to acquire {after} at {site} while holding {before}; existing dependency chain: {string.Join(" -> ", chain)} (first {chain[0]} -> {chain[1]} at {first}); {cpu.DescribeHeld()}",
                    after);
            }

            return;
        }

        next[after] = site ?? "?";
    }

    [Requires("s_graphLock")]
    private static List<string>? FindPathLocked(string from, string to)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal) { [from] = from };
        var queue = new Queue<string>();
        queue.Enqueue(from);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            if (!s_after.TryGetValue(node, out var next))
            {
                continue;
            }

            foreach (var succ in next.Keys)
            {
                if (parent.ContainsKey(succ))
                {
                    continue;
                }

                parent[succ] = node;
                if (succ == to)
                {
                    var path = new List<string> { to };
                    for (var n = to; n != from; n = parent[n])
                    {
                        path.Add(parent[n]);
                    }

                    path.Reverse();
                    return path;
                }

                queue.Enqueue(succ);
            }
        }

        return null;
    }

    [Requires("s_graphLock")]
    private static void CheckIrqUsageLocked(string cls, CpuContext cpu, string? site)
    {
        if (cpu.HardIrqDepth > 0)
        {
            if (s_usedInHardIrq.Add(cls) && s_usedIrqsOn.Contains(cls) && s_reported.Add("irq:" + cls))
            {
                ReportLocked(RuntimeViolationKind.IrqUnsafeLock, $"WARNING: inconsistent lock state: {{HARDIRQ-ON-W}} -> {{IN-HARDIRQ-W}} usage: {cls} taken in hardirq at {site} but also taken with IRQs enabled", cls);
            }
        }
        else if (cpu.IrqOffDepth == 0)
        {
            if (s_usedIrqsOn.Add(cls) && s_usedInHardIrq.Contains(cls) && s_reported.Add("irq:" + cls))
            {
                ReportLocked(RuntimeViolationKind.IrqUnsafeLock, $"WARNING: inconsistent lock state: {{IN-HARDIRQ-W}} -> {{HARDIRQ-ON-W}} usage: {cls} taken with IRQs enabled at {site} but also taken in hardirq", cls);
            }
        }
    }
}
