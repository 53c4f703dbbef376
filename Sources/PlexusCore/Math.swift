#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Thin wrappers so hot code in every module calls libm directly without importing Foundation.
@inlinable @inline(__always) public func _exp(_ x: Double) -> Double { exp(x) }
@inlinable @inline(__always) public func _expm1(_ x: Double) -> Double { expm1(x) }
@inlinable @inline(__always) public func _log(_ x: Double) -> Double { log(x) }
@inlinable @inline(__always) public func _log1p(_ x: Double) -> Double { log1p(x) }
@inlinable @inline(__always) public func _cos(_ x: Double) -> Double { cos(x) }
@inlinable @inline(__always) public func _sin(_ x: Double) -> Double { sin(x) }
@inlinable @inline(__always) public func _pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@inlinable @inline(__always) public func _erf(_ x: Double) -> Double { erf(x) }
@inlinable @inline(__always) public func _sincos(_ x: Double) -> (Double, Double) { (sin(x), cos(x)) }
