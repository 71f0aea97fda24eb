using DriverSafety.SampleDriver.Kernel;
using Xunit;

namespace DriverSafety.SampleDriver.Tests;

/// <summary>
/// Every test that touches the runtime checker's global state (violations, the lock-class graph, simulated memory)
/// belongs to this collection, so none of them run in parallel with another.
/// </summary>
[CollectionDefinition("RuntimeCheck", DisableParallelization = true)]
public sealed class RuntimeCheckCollection
{
}

/// <summary>Base of runtime-check tests: a clean checker before and after each test.</summary>
public abstract class RuntimeCheckTest : IDisposable
{
    protected RuntimeCheckTest()
    {
        RuntimeCheck.Reset();
        PageAlloc.ResetTotalPages();
        Sched.FlushSignals();
    }

    public void Dispose()
    {
        RuntimeCheck.Reset();
        PageAlloc.ResetTotalPages();
        Sched.FlushSignals();
        GC.SuppressFinalize(this);
    }

    /// <summary>Asserts that a violation of <paramref name="kind"/> was recorded and returns the first one.</summary>
    protected static RuntimeViolation Expect(RuntimeViolationKind kind)
    {
        var all = RuntimeCheck.Violations;
        var found = all.FirstOrDefault(v => v.Kind == kind);
        Assert.True(found is not null, $"expected a {kind} violation; recorded: {string.Join(" | ", all)}");
        return found!;
    }

    /// <summary>Asserts the violations recorded are exactly of these kinds (in any order), then resets the checker.</summary>
    protected static void ExpectOnly(params RuntimeViolationKind[] kinds)
    {
        var all = RuntimeCheck.Violations;
        Assert.True(
            all.Select(v => v.Kind).OrderBy(k => k).SequenceEqual(kinds.OrderBy(k => k)),
            $"expected [{string.Join(", ", kinds)}]; recorded: {string.Join(" | ", all)}");
        RuntimeCheck.Reset();
    }

    /// <summary>Runs <paramref name="body"/> on a new thread and waits at most <paramref name="seconds"/> for it.</summary>
    protected static void RunOnThread(Action body, int seconds = 10)
    {
        Exception? failure = null;
        var thread = new System.Threading.Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(seconds)), "thread did not finish in time");
        if (failure is not null)
        {
            throw new InvalidOperationException("thread failed", failure);
        }
    }
}
