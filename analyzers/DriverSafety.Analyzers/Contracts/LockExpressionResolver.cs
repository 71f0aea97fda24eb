using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// Parses and resolves the lock expressions of SPEC section 4: <c>this</c>, a parameter name, a member of the
    /// annotated member's type, a static <c>Type.Member</c>, and member paths from any of these.
    /// A string that does not resolve is an <see cref="AnnotationProblem"/> (DRV9001/DRV9002), never ignored.
    /// </summary>
    internal sealed class LockExpressionResolver
    {
        private readonly Compilation _compilation;
        private readonly KnownSymbols _known;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, int> _lockKinds = new System.Collections.Concurrent.ConcurrentDictionary<ITypeSymbol, int>(SymbolEqualityComparer.Default);

        private readonly SemanticModels _models;
        private readonly ConcurrentDictionary<(IAssemblySymbol, string), ImmutableArray<INamedTypeSymbol>> _typesByName =
            new ConcurrentDictionary<(IAssemblySymbol, string), ImmutableArray<INamedTypeSymbol>>();

        public LockExpressionResolver(Compilation compilation, KnownSymbols known, SemanticModels models)
        {
            _compilation = compilation;
            _known = known;
            _models = models;
        }

        /// <summary>Resolves <paramref name="text"/> written on <paramref name="annotated"/>; returns null and sets <paramref name="problem"/> when it does not resolve.</summary>
        public LockExpr? Resolve(string? text, ISymbol annotated, out ProblemKind problem, out string detail) =>
            Resolve(text, annotated, requireLock: true, allowReturn: false, out problem, out detail, null);

        /// <summary>
        /// Resolves an access path written in an annotation: a lock expression (<paramref name="requireLock"/>), or a
        /// lifetime target, which may also start at the method's <c>return</c> value (<paramref name="allowReturn"/>).
        /// </summary>
        /// <param name="at">The attribute's syntax, when it is in source: type names are then looked up with its usings.</param>
        public LockExpr? Resolve(string? text, ISymbol annotated, bool requireLock, bool allowReturn, out ProblemKind problem, out string detail, SyntaxReference? at)
        {
            problem = ProblemKind.None;
            detail = string.Empty;
            if (text is null)
            {
                return Fail(ProblemKind.DoesNotResolve, "a null lock expression names no lock", out problem, out detail);
            }

            var trimmed = text.Trim();
            if (trimmed.Length == 0)
            {
                return Fail(ProblemKind.DoesNotResolve, "an empty lock expression names no lock", out problem, out detail);
            }

            if (trimmed.IndexOfAny(new[] { '(', ')', '[', ']' }) >= 0)
            {
                return Fail(ProblemKind.Misapplied, $"lock expression '{trimmed}' calls a method or an indexer; a lock expression is a path of fields and properties", out problem, out detail);
            }

            var segments = trimmed.Split('.').Select(s => s.Trim()).ToArray();
            if (segments.Any(s => !IsIdentifier(s)))
            {
                return Fail(ProblemKind.DoesNotResolve, $"lock expression '{trimmed}' is not an access path", out problem, out detail);
            }

            // On a delegate type, lock expressions name the delegate's parameters (its Invoke method's) or static members.
            var isDelegate = annotated is INamedTypeSymbol { TypeKind: TypeKind.Delegate };
            var method = annotated as IMethodSymbol ?? (isDelegate ? ((INamedTypeSymbol)annotated).DelegateInvokeMethod : null);
            var owner = isDelegate ? annotated.ContainingType ?? (INamedTypeSymbol)annotated : annotated as INamedTypeSymbol ?? annotated.ContainingType;
            var isStatic = isDelegate || (annotated.IsStatic && annotated is not INamedTypeSymbol);

            LockRootKind kind;
            var ordinal = -1;
            INamedTypeSymbol? staticType = null;
            ITypeSymbol? current;
            var index = 0;
            var members = ImmutableArray.CreateBuilder<ISymbol>();

            var first = segments[0];
            if (first == "return" && allowReturn && method is not null)
            {
                if (method.ReturnsVoid)
                {
                    return Fail(ProblemKind.DoesNotResolve, $"'return' in '{trimmed}' names nothing: '{method.Name}' returns void", out problem, out detail);
                }

                kind = LockRootKind.Return;
                current = method.ReturnType;
                index = 1;
            }
            else if (first == "this")
            {
                if (isStatic)
                {
                    return Fail(ProblemKind.DoesNotResolve, $"'this' in lock expression '{trimmed}' names nothing in static member '{annotated.Name}'", out problem, out detail);
                }

                kind = LockRootKind.This;
                current = owner;
                index = 1;
            }
            else if (method?.Parameters.FirstOrDefault(p => p.Name == first) is { } parameter)
            {
                kind = LockRootKind.Parameter;
                ordinal = parameter.Ordinal;
                current = parameter.Type;
                index = 1;
            }
            else if (owner is not null && FindMember(owner, first) is { } member)
            {
                if (member.IsStatic)
                {
                    kind = LockRootKind.Static;
                    staticType = member.ContainingType;
                }
                else if (isStatic)
                {
                    return Fail(ProblemKind.DoesNotResolve, $"lock expression '{trimmed}' names instance member '{first}' from static member '{annotated.Name}'", out problem, out detail);
                }
                else
                {
                    kind = LockRootKind.This;
                }

                if (member is IMethodSymbol)
                {
                    return Fail(ProblemKind.Misapplied, $"lock expression '{trimmed}' names method '{first}'; a lock expression is a path of fields and properties", out problem, out detail);
                }

                members.Add(member);
                current = AccessPath.MemberType(member);
                index = 1;
            }
            else if (FindType(owner, segments, out var consumed, at) is { } type && consumed < segments.Length)
            {
                kind = LockRootKind.Static;
                staticType = type;
                current = type;
                index = consumed;
                var staticMember = FindMember(type, segments[index]);
                if (staticMember is null || !staticMember.IsStatic)
                {
                    return Fail(ProblemKind.DoesNotResolve, $"lock expression '{trimmed}': '{segments[index]}' is not a static field or property of '{type.Name}'", out problem, out detail);
                }
            }
            else
            {
                return Fail(ProblemKind.DoesNotResolve, $"lock expression '{trimmed}' names nothing: '{first}' is not 'this', a parameter, a member of '{owner?.Name}' or a type", out problem, out detail);
            }

            for (; index < segments.Length; index++)
            {
                var found = current is null ? null : FindMember(current, segments[index]);
                if (found is null)
                {
                    return Fail(ProblemKind.DoesNotResolve, $"lock expression '{trimmed}': '{segments[index]}' is not a member of '{current?.Name}'", out problem, out detail);
                }

                if (found is IMethodSymbol)
                {
                    return Fail(ProblemKind.Misapplied, $"lock expression '{trimmed}' names method '{segments[index]}'; a lock expression is a path of fields and properties", out problem, out detail);
                }

                members.Add(found);
                current = AccessPath.MemberType(found);
            }

            if (requireLock && !CanBeLock(current))
            {
                return Fail(ProblemKind.Misapplied, $"lock expression '{trimmed}' denotes a value of type '{current?.ToDisplayString()}', which is not a lock", out problem, out detail);
            }

            return new LockExpr(kind, ordinal, staticType, members.ToImmutable(), trimmed);
        }

        /// <summary>
        /// Resolves a lock class name of <c>[AcquiredBefore]</c>/<c>[AcquiredAfter]</c> (SPEC section 4): a field or
        /// property <c>Type.Member</c> (or a member of the annotated member's type), or a lock type.
        /// </summary>
        public ISymbol? ResolveLockClass(string? text, ISymbol annotated, out ProblemKind problem, out string detail, SyntaxReference? at)
        {
            problem = ProblemKind.None;
            detail = string.Empty;
            var trimmed = text?.Trim() ?? string.Empty;
            if (trimmed.Length == 0)
            {
                problem = ProblemKind.DoesNotResolve;
                detail = "an empty lock class name names no lock class";
                return null;
            }

            var segments = trimmed.Split('.').Select(x => x.Trim()).ToArray();
            if (trimmed.IndexOfAny(new[] { '(', ')', '[', ']' }) >= 0 || segments.Any(x => !IsIdentifier(x)))
            {
                problem = ProblemKind.Misapplied;
                detail = $"lock class '{trimmed}' is not a type or a Type.Member name";
                return null;
            }

            var owner = annotated as INamedTypeSymbol ?? annotated.ContainingType;
            ISymbol? found = null;
            if (segments.Length == 1 && owner is not null && FindMember(owner, segments[0]) is IFieldSymbol or IPropertySymbol)
            {
                found = FindMember(owner, segments[0]);
            }
            else if (FindType(owner, segments, out var consumed, at, includeAll: true) is { } type)
            {
                found = consumed == segments.Length ? type
                    : consumed == segments.Length - 1 && FindMember(type, segments[consumed]) is IFieldSymbol or IPropertySymbol ? FindMember(type, segments[consumed])
                    : null;
            }

            var foundType = found as ITypeSymbol ?? (found is null ? null : AccessPath.MemberType(found));
            if (found is null)
            {
                problem = ProblemKind.DoesNotResolve;
                detail = $"lock class '{trimmed}' names nothing: it is not a lock field or property 'Type.Member', a member of '{owner?.Name}', or a type";
                return null;
            }

            if (found is ITypeSymbol ? !IsLockType((ITypeSymbol)found) : !CanBeLock(foundType))
            {
                problem = ProblemKind.Misapplied;
                detail = $"lock class '{trimmed}' names a '{foundType?.ToDisplayString()}', which is not a lock{(found is ITypeSymbol ? " type" : string.Empty)}";
                return null;
            }

            return found;
        }

        /// <summary>The type a (possibly namespace- or containing-type-qualified) name denotes from <paramref name="context"/>.</summary>
        public INamedTypeSymbol? ResolveType(string name, ISymbol context, SyntaxReference? at)
        {
            var segments = name.Split('.').Select(x => x.Trim()).ToArray();
            var type = FindType(context as INamedTypeSymbol ?? context.ContainingType, segments, out var consumed, at, includeAll: true);
            return consumed == segments.Length ? type : null;
        }

        /// <summary>A [LockType] type, or any reference type (the C# <c>lock</c> statement locks any object).</summary>
        public bool CanBeLock(ITypeSymbol? type)
        {
            if (type is null)
            {
                return false;
            }

            if (IsLockType(type))
            {
                return true;
            }

            return type.IsReferenceType && type.SpecialType != SpecialType.System_String;
        }

        public bool IsLockType(ITypeSymbol type) => LockKindOf(type) is not null;

        /// <summary>The <c>LockKind</c> of a [LockType] type (0 = Sleeping, 1 = Spinning), searching base types.</summary>
        public int? LockKindOf(ITypeSymbol? type) =>
            type is null ? null : (_lockKinds.TryGetValue(type, out var known) ? known : _lockKinds.GetOrAdd(type, t => ComputeLockKind(t) ?? -1)) is var kind && kind >= 0 ? kind : null;

        private int? ComputeLockKind(ITypeSymbol type)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                foreach (var attribute in _known.AttributesOf(t))
                {
                    if (KnownSymbols.Is(attribute, _known.LockType))
                    {
                        return attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int kind ? kind : 0;
                    }
                }
            }

            return null;
        }

        private static LockExpr? Fail(ProblemKind kind, string message, out ProblemKind problem, out string detail)
        {
            problem = kind;
            detail = message;
            return null;
        }

        private static bool IsIdentifier(string s)
        {
            if (s.Length == 0 || !(char.IsLetter(s[0]) || s[0] == '_' || s[0] == '@'))
            {
                return false;
            }

            return s.Skip(1).All(c => char.IsLetterOrDigit(c) || c == '_');
        }

        private static ISymbol? FindMember(ITypeSymbol type, string name)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                var member = t.GetMembers(name).FirstOrDefault(m => m is IFieldSymbol or IPropertySymbol or IMethodSymbol);
                if (member is not null)
                {
                    return member;
                }
            }

            foreach (var iface in type.AllInterfaces)
            {
                var member = iface.GetMembers(name).FirstOrDefault(m => m is IPropertySymbol);
                if (member is not null)
                {
                    return member;
                }
            }

            if (type is ITypeParameterSymbol typeParameter)
            {
                foreach (var constraint in typeParameter.ConstraintTypes)
                {
                    var member = FindMember(constraint, name);
                    if (member is not null)
                    {
                        return member;
                    }
                }
            }

            return null;
        }

        /// <summary>Finds the longest prefix of <paramref name="segments"/> naming a type visible from <paramref name="owner"/>.</summary>
        /// <summary>
        /// Finds the longest prefix of <paramref name="segments"/> naming a type visible where the annotation is written:
        /// with the usings in scope at <paramref name="at"/> for source annotations; for an annotation read from a
        /// referenced assembly, from the owner's containing types and namespaces, then among that assembly's types.
        /// </summary>
        private INamedTypeSymbol? FindType(INamedTypeSymbol? owner, string[] segments, out int consumed, SyntaxReference? at, bool includeAll = false)
        {
            for (var length = includeAll ? segments.Length : segments.Length - 1; length >= 1; length--)
            {
                var name = string.Join(".", segments.Take(length));

                // Nested in the owner or one of its containing types.
                for (var container = owner; container is not null; container = container.ContainingType)
                {
                    var nested = FindNested(container, segments, length);
                    if (nested is not null)
                    {
                        consumed = length;
                        return nested;
                    }
                }

                // As the source at the attribute sees it: its usings, global usings and aliases.
                if (at is not null && _compilation.ContainsSyntaxTree(at.SyntaxTree))
                {
                    var model = _models.For(at.SyntaxTree);
                    foreach (var start in model.LookupNamespacesAndTypes(at.Span.Start, name: segments[0]).Select(s => s is IAliasSymbol alias ? alias.Target : s).OfType<INamespaceOrTypeSymbol>())
                    {
                        if (Walk(start, segments, length) is { } found)
                        {
                            consumed = length;
                            return found;
                        }
                    }
                }

                // Namespace-qualified from the owner's namespace outwards, then from the global namespace.
                for (var ns = owner?.ContainingNamespace; ns is not null; ns = ns.ContainingNamespace)
                {
                    var prefix = ns.IsGlobalNamespace ? string.Empty : ns.ToDisplayString() + ".";
                    var type = _compilation.GetTypeByMetadataName(prefix + name);
                    if (type is not null)
                    {
                        consumed = length;
                        return type;
                    }
                }

                // An annotation compiled into a referenced assembly: a type of that assembly with this (qualified) name.
                if (at is null && owner?.ContainingAssembly is { } assembly && !SymbolEqualityComparer.Default.Equals(assembly, _compilation.Assembly))
                {
                    var candidates = TypesNamed(assembly, segments[length - 1])
                        .Where(t => t.ToDisplayString().EndsWith("." + name, System.StringComparison.Ordinal) || t.ToDisplayString() == name)
                        .ToArray();
                    if (candidates.Length == 1)
                    {
                        consumed = length;
                        return candidates[0];
                    }
                }
            }

            consumed = 0;
            return null;
        }

        private static INamedTypeSymbol? Walk(INamespaceOrTypeSymbol start, string[] segments, int length)
        {
            INamespaceOrTypeSymbol? current = start;
            for (var i = 1; i < length && current is not null; i++)
            {
                current = current.GetMembers(segments[i]).OfType<INamespaceOrTypeSymbol>().FirstOrDefault();
            }

            return current as INamedTypeSymbol;
        }

        private ImmutableArray<INamedTypeSymbol> TypesNamed(IAssemblySymbol assembly, string name) =>
            _typesByName.GetOrAdd((assembly, name), key =>
            {
                var result = ImmutableArray.CreateBuilder<INamedTypeSymbol>();
                var pending = new Stack<INamespaceOrTypeSymbol>();
                pending.Push(key.Item1.GlobalNamespace);
                while (pending.Count > 0)
                {
                    foreach (var member in pending.Pop().GetMembers())
                    {
                        if (member is INamespaceOrTypeSymbol container)
                        {
                            pending.Push(container);
                        }

                        if (member is INamedTypeSymbol type && type.Name == key.Item2)
                        {
                            result.Add(type);
                        }
                    }
                }

                return result.ToImmutable();
            });

        private static INamedTypeSymbol? FindNested(INamedTypeSymbol container, string[] segments, int length)
        {
            INamedTypeSymbol? current = container;
            for (var i = 0; i < length && current is not null; i++)
            {
                current = current.GetTypeMembers(segments[i]).FirstOrDefault();
            }

            return current;
        }
    }

    internal enum ProblemKind
    {
        None,
        DoesNotResolve,
        Misapplied,
    }
}
