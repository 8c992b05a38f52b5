* Source:     Pyomo MPS Writer
* Format:     Free MPS
*
NAME split_pareto
OBJSENSE
 MIN
ROWS
 N  eq13_min_T
 E  c_e_eq13_C1_C2_one_split_
 L  c_u_eq13_C3_edge_memory_
 G  r_l_eq13_C4_utilisation_
 L  r_u_eq13_C4_utilisation_
 L  c_u_epsilon_memory_unused_
COLUMNS
     x(0) eq13_min_T 0.30000000000000004
     x(0) c_e_eq13_C1_C2_one_split_ 1
     x(0) c_u_eq13_C3_edge_memory_ 3221225472
     x(0) r_l_eq13_C4_utilisation_ 0.18181818181818182
     x(0) r_u_eq13_C4_utilisation_ 0.18181818181818182
     x(0) c_u_epsilon_memory_unused_ 0.81818181818181812
     x(1) eq13_min_T 0.27000000000000002
     x(1) c_e_eq13_C1_C2_one_split_ 1
     x(1) c_u_eq13_C3_edge_memory_ 4294967296
     x(1) r_l_eq13_C4_utilisation_ 0.36363636363636365
     x(1) r_u_eq13_C4_utilisation_ 0.36363636363636365
     x(1) c_u_epsilon_memory_unused_ 0.63636363636363635
     x(2) eq13_min_T 0.378
     x(2) c_e_eq13_C1_C2_one_split_ 1
     x(2) c_u_eq13_C3_edge_memory_ 5368709120
     x(2) r_l_eq13_C4_utilisation_ 0.54545454545454541
     x(2) r_u_eq13_C4_utilisation_ 0.54545454545454541
     x(2) c_u_epsilon_memory_unused_ 0.45454545454545459
     x(3) eq13_min_T 0.60000000000000009
     x(3) c_e_eq13_C1_C2_one_split_ 1
     x(3) c_u_eq13_C3_edge_memory_ 6442450944
     x(3) r_l_eq13_C4_utilisation_ 0.72727272727272729
     x(3) r_u_eq13_C4_utilisation_ 0.72727272727272729
     x(3) c_u_epsilon_memory_unused_ 0.27272727272727271
RHS
     RHS c_e_eq13_C1_C2_one_split_ 1
     RHS c_u_eq13_C3_edge_memory_ 5905580032
     RHS r_l_eq13_C4_utilisation_ 0
     RHS r_u_eq13_C4_utilisation_ 1
     RHS c_u_epsilon_memory_unused_ 0.5
BOUNDS
 BV BOUND x(0)
 BV BOUND x(1)
 BV BOUND x(2)
 BV BOUND x(3)
ENDATA
