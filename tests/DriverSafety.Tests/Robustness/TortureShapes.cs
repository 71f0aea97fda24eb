namespace DriverSafety.Tests.Robustness;

/// <summary>
/// C# shapes the analyzer must walk without throwing, within its step bound, with the right findings. Each source
/// compiles beside the prelude; <c>{|ID:text|}</c> marks a finding expected exactly there, and a source with no
/// markup must be silent.
/// </summary>
internal static class TortureShapes
{
    public static readonly (string Name, string Source)[] All =
    {
        ("generics", """
            internal sealed class Box<T> where T : class
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private T? _value;

                public void Set(T value) { _m.Lock(); _value = value; _m.Unlock(); }
                public T? Peek() => {|DRV1001:_value|};
                [Requires("_m")] public U Map<U>(Func<T?, U> f) => f(_value);
                public U MapUnlocked<U>(Func<T?, U> f) => {|DRV1002:Map(f)|};
                public static Box<T> Create() => new Box<T>();
            }
            """),
        ("partial classes and methods", """
            internal sealed partial class Dev
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _state;
                partial void OnChanged();
                [Requires("_m")] public partial void Bump();
            }

            internal sealed partial class Dev
            {
                partial void OnChanged() { {|DRV1001:_state|} = 0; }
                public partial void Bump() { _state++; }
                public void Safe() { _m.Lock(); Bump(); _m.Unlock(); }
            }
            """),
        ("records and primary constructors", """
            internal sealed record Job(Mutex Lock, int Id)
            {
                [GuardedBy("Lock")] public int Done;
                public void Finish() { Lock.Lock(); Done = Id; Lock.Unlock(); }
                public void Race() => {|DRV1001:Done|} = 1;
            }

            internal sealed class Queue(Mutex m)
            {
                private readonly Mutex _m = m;
                [GuardedBy("_m")] private int _n;
                public void Push() { _m.Lock(); _n++; _m.Unlock(); }
                internal record struct Item(int Key);
            }
            """),
        ("ref structs and unsafe code", """
            internal ref struct Cursor
            {
                private Span<byte> _buffer;
                public Cursor(Span<byte> buffer) => _buffer = buffer;
                public int Read(Mutex m) { m.Lock(); var b = _buffer.Length > 0 ? _buffer[0] : 0; m.Unlock(); return b; }
            }

            internal sealed unsafe class Raw
            {
                private readonly SpinLock _s = new SpinLock();
                [GuardedBy("_s")] private int _count;
                public int Sum(byte[] data)
                {
                    var total = 0;
                    _s.Lock();
                    fixed (byte* p = data)
                    {
                        for (var i = 0; i < data.Length; i++) total += checked(p[i] + _count);
                    }
                    Span<int> scratch = stackalloc int[4];
                    scratch[0] = total;
                    _s.Unlock();
                    return scratch[0];
                }

                public int Leak(bool fail)
                {
                    {|DRV1003:_s.Lock()|};
                    if (fail) return -1;
                    _s.Unlock();
                    return 0;
                }
            }
            """),
        ("async methods and iterators", """
            using System.Collections.Generic;

            internal sealed class Worker
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _n;

                public async Task HeldAcrossAwait()
                {
                    _m.Lock();
                    _n++;
                    await Task.Yield();
                    _n++;
                    _m.Unlock();
                }

                public async Task<int> GuardedAfterAwait()
                {
                    await Task.Delay(1);
                    return {|DRV1001:_n|};
                }

                public IEnumerable<int> Iterate()
                {
                    _m.Lock();
                    for (var i = 0; i < 3; i++) yield return _n + i;
                    _m.Unlock();
                }

                public async IAsyncEnumerable<int> Stream()
                {
                    await Task.Yield();
                    yield return 1;
                }
            }
            """),
        ("switch expressions and patterns", """
            internal sealed class Pick
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _mode;

                public string Name(object o) => o switch
                {
                    int i when i > 0 => "pos",
                    string { Length: > 2 } s => s,
                    (int a, int b) => "pair",
                    null => "null",
                    _ => "other",
                };

                public int Mode(int k)
                {
                    _m.Lock();
                    var r = k switch { 0 => _mode, 1 or 2 => _mode + 1, _ => -1 };
                    _m.Unlock();
                    return r;
                }

                public int Bad(object o) => o is int { } x and > 3 ? {|DRV1001:_mode|} : 0;
            }
            """),
        ("local functions capturing locks", """
            internal sealed class Local
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _n;

                public void Run()
                {
                    var m = _m;
                    m.Lock();
                    Inc();
                    m.Unlock();
                    void Inc() => _n++;
                }

                public void Twice()
                {
                    _m.Lock();
                    Take();
                    {|DRV1004:_m.Unlock()|};
                    void Take() { {|DRV1005:_m.Lock()|}; _m.Unlock(); }  // inlined: it releases the caller's hold too
                }
            }
            """),
        ("expression-bodied members and properties with Requires", """
            internal sealed class Props
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _n;

                [Requires("_m")] public int Count => _n;
                public int Unlocked => {|DRV1002:Count|};
                public int Locked { get { _m.Lock(); var c = Count; _m.Unlock(); return c; } }
                public int this[int i] => i + {|DRV1001:_n|};
                public static Props operator +(Props a, Props b) => a;
                public Props() => _n = 0;
            }
            """),
        ("static lambdas", """
            using System.Collections.Generic;

            internal static class Static
            {
                public static readonly Mutex M = new Mutex();
                [GuardedBy("M")] public static int N;

                public static void Register(List<Func<int, int>> table)
                {
                    table.Add(static x => { M.Lock(); var r = x + N; M.Unlock(); return r; });
                    table.Add(static x => {|DRV1001:N|} + x);
                    table.Add(static x => { {|DRV1003:M.Lock()|}; return x; });
                    Func<int, int> pure = static x => x * 2;
                    table.Add(pure);
                }
            }
            """),
        ("goto loops (C# forbids a goto into a loop's block: loops made of gotos, gotos out of nested loops, goto case) and checked", """
            internal sealed class Jumps
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _n;

                public int Run(int k)
                {
                    var i = 0;
                    _m.Lock();
                    if (k > 2) goto inside;
                top:
                    i++;
                inside:
                    _n = checked(_n + i);
                    for (var a = 0; a < k; a++)
                        for (var b = 0; b < k; b++)
                            if (a * b > 100) goto done;
                    if (i < k) goto top;
                done:
                    switch (k)
                    {
                        case 0: goto case 1;
                        case 1: _n++; break;
                        default: goto default_;
                    }
                default_:
                    _m.Unlock();
                    return unchecked(i * 31);
                }

                public int Bad(int k)
                {
                again:
                    {|DRV1009:_m.Lock()|};
                    if (k-- > 0) goto again;
                    _m.Unlock();
                    return k;
                }
            }
            """),
        ("deep and mutual recursion", """
            internal sealed class Rec
            {
                private readonly Mutex _m = new Mutex();
                [GuardedBy("_m")] private int _n;

                [Requires("_m")] public int Down(int k) => k <= 0 ? _n : Down(k - 1) + Up(k - 2);
                [Requires("_m")] private int Up(int k) => k <= 0 ? 0 : Down(k - 1);
                public int Even(int k) => k == 0 ? 1 : Odd(k - 1);
                public int Odd(int k) => k == 0 ? 0 : Even(k - 1);
                public int Self(int k) { _m.Lock(); var r = Down(k); _m.Unlock(); return k > 0 ? Self(k - 1) + r : r; }
                public int Outside() => {|DRV1002:Down(3)|};
            }
            """),
    };
}
