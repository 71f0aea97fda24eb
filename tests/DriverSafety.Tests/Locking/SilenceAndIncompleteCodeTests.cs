using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// The analyzer reports nothing where the annotations are not referenced or not used, and never throws on
/// incomplete code (every test here also fails on any analyzer exception or AD0001).
/// </summary>
public sealed class SilenceAndIncompleteCodeTests
{
    [Fact]
    public Task CompilationWithoutTheAnnotations() => Verifier.VerifyAsync("""
        using System;
        using System.Threading;

        public sealed class Mutex
        {
            public void Lock() { }
            public void Unlock() { }
        }

        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            private readonly object _sync = new object();
            private int _count;

            public void Leak() { _m.Lock(); _count++; }
            public void Stray() { _m.Unlock(); _m.Unlock(); }
            public void Enter() { Monitor.Enter(_sync); }
            public void Exit() { Monitor.Exit(_sync); }
        }
        """, referenceAnnotations: false);

    [Fact]
    public Task CodeUsingNoAnnotatedApi() => Verifier.VerifyAsync("""
        public sealed class Plain
        {
            private int _count;

            public int Work(int n, Func<int, int> f)
            {
                var total = 0;
                for (var i = 0; i < n; i++)
                {
                    switch (i % 3)
                    {
                        case 0: total += f(i); break;
                        case 1: continue;
                        default: goto done;
                    }
                }

            done:
                try
                {
                    _count++;
                    Action a = () => _count--;
                    a();
                }
                finally
                {
                    total++;
                }

                return Local(total);

                int Local(int x) => x + _count;
            }
        }
        """);

    [Fact]
    public Task MissingSemicolon() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            public void Start()
            {
                _m.Lock();
                _count++
                _m.Unlock();
            }
        }
        """, allowCompilerErrors: true);

    [Fact]
    public Task MissingTypeUnrelatedToTheLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _count;

            public void Start(MissingType x)
            {
                _m.Lock();
                x.Go(_count);
                _m.Unlock();
            }

            public void Bad(MissingType x)
            {
                x.Go([|_count|]);
            }
        }
        """, "DRV1001", allowCompilerErrors: true);

    [Fact]
    public Task UnresolvedMethodOnALock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                _m.Lokc();
                _m.Unlokc(1, 2);
            }
        }
        """, allowCompilerErrors: true);

    [Fact]
    public Task UnresolvedLockReceiver() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            public void Start()
            {
                _missing.Lock();
                _missing.Unlock();
            }
        }
        """, allowCompilerErrors: true);

    // A non-constant argument gives the attribute no value (silence); nameof of an unknown name still yields the
    // string "NoSuchMember", which names nothing: DRV9001 is the correct finding there.
    [Fact]
    public Task NonConstantAttributeArguments() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy(NoSuchConstant)] private int _count;
            [{|DRV9001:Requires(nameof(NoSuchMember))|}] public void Flush() { }

            public void Start() { _count++; Flush(); }
        }
        """, allowCompilerErrors: true);

    [Fact]
    public Task EmptyLockStatement() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            public void Start()
            {
                lock ()
                {
                }
            }
        }
        """, allowCompilerErrors: true);

    [Fact]
    public Task UnterminatedMethod() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                _m.Lock();
                _m.Unlock();
        """, allowCompilerErrors: true);

    [Fact]
    public Task LockTypeWithoutMembersBody() => Verifier.VerifyAsync("""
        [LockType(LockKind.Sleeping)]
        public sealed class Broken
        {
            [Acquires] public void Lock();
            [Releases] public void Unlock()
        }

        public sealed class User
        {
            private readonly Broken _b = new Broken();
            [GuardedBy("_b")] private int _count;

            public void Start()
            {
                _b.Lock();
                _count++;
                _b.Unlock();
            }
        }
        """, allowCompilerErrors: true);

    [Fact]
    public Task MissingReturnValue() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public int Start()
            {
                [|_m.Lock()|];
                return;
            }
        }
        """, "DRV1003", allowCompilerErrors: true);
}
