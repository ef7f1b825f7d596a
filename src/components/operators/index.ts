export { createOperator, operatorByToken, ROLES, type NewOperator } from './service';
