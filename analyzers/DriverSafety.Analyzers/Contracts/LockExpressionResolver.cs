using System.Collections.Immutable;
using System.Linq;
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

        public LockExpressionResolver(Compilation compilation, KnownSymbols known)
        {
            _compilation = compilation;
            _known = known;
        }

        /// <summary>Resolves <paramref name="text"/> written on <paramref name="annotated"/>; returns null and sets <paramref name="problem"/> when it does not resolve.</summary>
        public LockExpr? Resolve(string? text, ISymbol annotated, out ProblemKind problem, out string detail)
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

            var method = annotated as IMethodSymbol;
            var owner = annotated as INamedTypeSymbol ?? annotated.ContainingType;
            var isStatic = annotated.IsStatic && annotated is not INamedTypeSymbol;

            LockRootKind kind;
            var ordinal = -1;
            INamedTypeSymbol? staticType = null;
            ITypeSymbol? current;
            var index = 0;
            var members = ImmutableArray.CreateBuilder<ISymbol>();

            var first = segments[0];
            if (first == "this")
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
            else if (FindType(owner, segments, out var consumed) is { } type && consumed < segments.Length)
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

            if (!CanBeLock(current))
            {
                return Fail(ProblemKind.Misapplied, $"lock expression '{trimmed}' denotes a value of type '{current?.ToDisplayString()}', which is not a lock", out problem, out detail);
            }

            return new LockExpr(kind, ordinal, staticType, members.ToImmutable(), trimmed);
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
            type is null ? null : _lockKinds.GetOrAdd(type, t => ComputeLockKind(t) ?? -1) is var kind && kind >= 0 ? kind : null;

        private int? ComputeLockKind(ITypeSymbol type)
        {
            for (var t = type; t is not null; t = t.BaseType)
            {
                foreach (var attribute in t.GetAttributes())
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
        private INamedTypeSymbol? FindType(INamedTypeSymbol? owner, string[] segments, out int consumed)
        {
            for (var length = segments.Length - 1; length >= 1; length--)
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
            }

            consumed = 0;
            return null;
        }

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
